/**
 * BENCHMARKS.md from what a bench run measured (BenchReport, the content of BENCHMARKS.json):
 * the tables, the ratios against the issues' targets, the charts and the cost-growth numbers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHART_FILES, writeCharts } from './charts.ts';
import type {
  BenchReport,
  FixedRun,
  FlashRow,
  GrowthFailure,
  GrowthPoint,
  Measurement,
  PeakRun,
  Ratios,
} from './types.ts';

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));
const pct = (r: number): string => `${(r * 100).toFixed(2)} %`;
const halfPeakRate = (m: Measurement): number =>
  Math.max(10, Math.floor(m.peak.requestsPerSecond / 2 / 10) * 10);
const halfPeakOf = (m: Measurement): FixedRun | undefined => m.fixed.find((f) => f.rate === halfPeakRate(m));
const appGroups = (m: Measurement): string[] =>
  Object.keys(m.peak.cpuSeconds).filter((g) => !['k6', 'other'].includes(g));
const cpuPerRequest = (m: Measurement, groups: string[]): number =>
  groups.reduce((sum, g) => sum + (m.peak.cpuMsPerRequest[g] ?? 0), 0);

/** The ratios the issues set targets for, from whichever variants ran. */
export function ratiosOf(results: Measurement[]): Ratios {
  const by = (key: Measurement['key']): Measurement | undefined => results.find((m) => m.key === key);
  const [bare, naive, full, soldOut, deployed] = (
    ['bare', 'naive', 'boxoffice', 'soldout', 'deployed'] as const
  ).map(by);
  const ratios: Ratios = {};
  if (full && naive)
    ratios.holdsVsNaive = round(full.peak.confirmedHoldsPerSecond / naive.peak.confirmedHoldsPerSecond);
  if (full && bare)
    ratios.holdsVsBareCeiling = round(full.peak.confirmedHoldsPerSecond / bare.peak.requestsPerSecond, 3);
  if (full) ratios.p99AtHalfPeakMs = halfPeakOf(full)?.p99;
  if (full && soldOut) {
    ratios.holdCpuVsSoldOutCpu = round(
      cpuPerRequest(full, ['purchase-api', 'allocator']) /
        cpuPerRequest(soldOut, ['purchase-api', 'allocator']),
      1,
    );
    ratios.holdCpuVsSoldOutCpuAllServers = round(
      cpuPerRequest(full, appGroups(full)) / cpuPerRequest(soldOut, appGroups(soldOut)),
      1,
    );
  }
  if (full && deployed) {
    ratios.deployedVsBench = round(deployed.peak.confirmedHoldsPerSecond / full.peak.confirmedHoldsPerSecond);
    ratios.deployedCpuVsBench = round(
      cpuPerRequest(deployed, appGroups(deployed)) / cpuPerRequest(full, appGroups(full)),
    );
  }
  return ratios;
}

function cpuCell(p: PeakRun): string {
  return Object.entries(p.cpuMsPerRequest)
    .filter(([g]) => g !== 'other' || p.cpuSeconds.other! > 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([g, ms]) => `${g} ${Math.round((p.cpuSeconds[g]! / p.seconds) * 100)} % (${ms})`)
    .join('; ');
}

function peakRow(m: Measurement): string {
  const p = m.peak;
  const holds = m.key === 'bare' ? `(${p.confirmedHoldsPerSecond})` : p.confirmedHoldsPerSecond;
  return `| ${m.variant} | ${p.vus} | ${p.requestsPerSecond} | ${holds} | ${p.answered202PerSecond} | ${pct(p.errorRate)}${p.rateLimitedPerSecond ? ` (${p.rateLimitedPerSecond} 429/s)` : ''} | ${p.p50} / ${p.p99} | ${p.machineBusyPercent} % | ${cpuCell(p)} |`;
}

function fixedRows(results: Measurement[]): string {
  return results
    .flatMap((m) =>
      m.fixed.map(
        (f) =>
          `| ${m.variant} | ${f.rate}${f.rate === halfPeakRate(m) ? ' (½ peak)' : ''} | ${f.achievedPerSecond} | ${f.p50} | ${f.p95} | ${f.p99} | ${pct(f.errorRate)}${f.dropped ? `, ${f.dropped} dropped` : ''} |`,
      ),
    )
    .join('\n');
}

function batchLine(m: Measurement | undefined, name: string): string {
  const probe = m?.peak.probe;
  if (!m || !probe?.batches) return '';
  const wal = m.peak.walBytesPerHold
    ? ` PostgreSQL wrote ${m.peak.walBytesPerHold} bytes of WAL per confirmed hold.`
    : '';
  return `During ${name}'s peak the allocator${m.key === 'deployed' ? '' : ''} applied ${probe.batches} batches averaging ${(probe.commands! / probe.batches).toFixed(1)} commands and ${((probe.batchSeconds! / probe.batches) * 1000).toFixed(1)} ms each (transaction, forwards, offset commit, replies), busy ${Math.round((probe.batchSeconds! / m.peak.seconds) * 100)} % of the wall clock.${wal}`;
}

/** PostgreSQL's busiest statements at (c)'s and (e)'s peaks, side by side per confirmed hold. */
export function statementSection(variants: [Measurement | undefined, string][]): string {
  const shown = variants.filter(([m]) => m?.peak.statements?.length);
  if (shown.length === 0) return '';
  const notes: string[] = [];
  const rows = shown.flatMap(([m, name]) => {
    const p = m!.peak;
    const holds = Math.max(1, p.confirmedHoldsPerSecond * p.seconds);
    const total = p.statements!.reduce((sum, st) => sum + st.totalMs, 0);
    const maintenance = p.postgresMaintenance;
    const cpuMs = (p.cpuSeconds.postgres ?? 0) * 1000;
    notes.push(
      `${name}: the listed statements took ${(total / holds).toFixed(3)} ms per hold; PostgreSQL's processes used ${(cpuMs / holds).toFixed(3)} ms of CPU per hold${maintenance ? ` (meanwhile ${maintenance.autovacuums} autovacuums, ${maintenance.autoanalyzes} autoanalyzes, ${maintenance.checkpoints} checkpoints)` : ''}.`,
    );
    return p.statements!.map(
      (st) =>
        `| ${name} | \`${st.query.replaceAll('|', '\\|').replaceAll('`', "'")}\` | ${(st.calls / holds).toFixed(2)} | ${(st.totalMs / Math.max(1, st.calls)).toFixed(3)} | ${(st.totalMs / holds).toFixed(3)} | ${Math.round((st.blocks / Math.max(1, st.calls)) * 10) / 10} | ${Math.round((st.totalMs / Math.max(1, total)) * 100)} % |`,
    );
  });
  return `### Where PostgreSQL's time goes at the peak

Its busiest statements during each peak run (pg_stat_statements, execution and planning time, all
clients of the server), per confirmed hold. Time, not CPU: it includes waits for locks and I/O.

| variant | statement | calls per hold | ms per call | ms per hold | buffers per call | share of the listed time |
| --- | --- | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

${notes.join('\n')}

`;
}

/** Orders k6 sent and had answered; fewer than asked for when its scenario's time limit ran out first. */
export function flashAnswered(f: FlashRow): { answered: number; unsent: number } {
  const answered = f.answers.held + f.answers.pending + f.answers.soldOut;
  return { answered, unsent: Math.max(0, f.requests - answered) };
}

function flashSection(r: BenchReport): string {
  const f = r.flash;
  if (!f) return '';
  const { answered, unsent } = flashAnswered(f);
  return `## Flash sale, the platform as deployed

${f.tickets.toLocaleString('en')} tickets, ${f.requests.toLocaleString('en')} requests from ${f.buyers.toLocaleString('en')} buyers (each its own
X-Forwarded-For), k6 closed loop of ${f.vus} virtual users, one allocator for ${r.settings.shards} shards, as variant (e).
A 202 is followed by polling query-api until the order is final (those polls are in requests/s).${
    f.tickets < 100_000
      ? `\n**Scaled down** from the issue's 100,000 tickets / 500,000 requests (\`BENCH_FLASH_TICKETS\`, \`BENCH_FLASH_REQUESTS\`): at the
${f.requestsPerSecond} requests/s this shared machine gave, the full sale would have taken ~${Math.round(500_000 / Math.max(1, f.requestsPerSecond) / 60)} minutes.`
      : ''
  }

| tickets | requests | sold out after | all answered after | requests/s | p50 | p95 | p99 | max | 201 / 202 / 409 | held + sold | oversold | violations | k6 thresholds | machine busy |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: |
| ${f.tickets} | ${f.requests} | ${f.sellOutSeconds} s | ${unsent ? `not all: ${unsent} never sent, k6's time limit ended the run after ${f.seconds} s` : `${f.seconds} s`} | ${f.requestsPerSecond} | ${f.orderLatencyMs.p50} | ${f.orderLatencyMs.p95} | ${f.orderLatencyMs.p99} | ${f.orderLatencyMs.max} | ${f.answers.held} / ${f.answers.pending} / ${f.answers.soldOut} (${answered} answered) | ${f.counters.held + f.counters.sold} | ${Math.max(0, f.counters.held + f.counters.sold - f.counters.capacity)} | ${f.violations.length} | ${f.k6ExitCode === 0 ? 'all met' : `exit ${f.k6ExitCode}`} | ${f.machineBusyPercent} % |

![holds and answers per second over the flash sale](${CHART_FILES.flashSale})

Logs: \`${f.logDir}\`.${f.violations.length ? `\n\nViolations:\n${f.violations.map((v) => `- ${v}`).join('\n')}` : ''}
`;
}

const growthNames: Record<GrowthPoint['dimension'], string> = {
  shards: 'shards (one allocator process each)',
  orders: 'existing orders in the table',
  events: 'events on sale at once (one allocator each, 4 shards)',
};

const scannedBy = (queries: string[] = []): string =>
  queries.length === 0
    ? ''
    : ` (orders scanned by: ${queries.map((q) => `\`${q.replaceAll('|', '\\|')}\``).join('; ')})`;

/** The configurations tried but not measured, each with its reason: a row missing silently would read as never tried. */
export function growthFailureLines(failures: GrowthFailure[] = []): string {
  return failures
    .map(
      (f) =>
        `- Not measured: ${growthNames[f.dimension]} = ${f.value.toLocaleString('en')}: ${f.reason}${f.pass ? ` (a second pass, ${f.pass.slice(11, 16)} UTC)` : ''}.`,
    )
    .join('\n');
}

function growthSection(r: BenchReport): string {
  if (r.growth.length === 0 && (r.growthFailures ?? []).length === 0) return '';
  const s = r.settings as { scaleVus?: number; scaleSeconds?: number; scaleRate?: number };
  const rows = r.growth
    .map((g) => {
      const allocatorCpu = g.peak.cpuSeconds.allocator ?? 0;
      const plans = g.plans
        ? `${g.plans.plans} plans; seq scans: ${
            Object.entries(g.plans.seqScans)
              .map(([t, n]) => `${t} ${n}`)
              .join(', ') || 'none'
          }${scannedBy(g.plans.ordersScannedBy)}`
        : '';
      return `| ${growthNames[g.dimension]} | ${g.value.toLocaleString('en')} | ${g.allocators} | ${g.peak.confirmedHoldsPerSecond} | ${g.peak.p99} | ${g.fixed.achievedPerSecond} | ${g.fixed.p50} | ${g.fixed.p99} | ${g.peak.cpuMsPerRequest['purchase-api'] ?? 0} | ${g.peak.cpuMsPerRequest.allocator ?? 0} (${Math.round((allocatorCpu / g.peak.seconds / Math.max(1, g.allocators)) * 100)} % each) | ${g.peak.cpuMsPerRequest.postgres ?? 0} | ${g.peak.walBytesPerHold ?? ''} | ${g.peak.machineBusyPercent} % | ${plans}${g.fillSeconds ? ` (filled in ${g.fillSeconds} s)` : ''}${g.pass ? ` (a second pass, ${g.pass.slice(11, 16)} UTC)` : ''} |`;
    })
    .join('\n');
  return `## How cost grows

Each configuration: a closed loop of ${s.scaleVus} virtual users for ${s.scaleSeconds} s (peak; its p99 is the
saturated machine's), then ${s.scaleRate} requests/s for ${s.scaleSeconds} s (p50/p99 at a fixed load). Full path as (c).
CPU in ms per request during the peak; for the allocators, also each process's share of one core. For the
table sizes, PostgreSQL logged the plan of a sample (auto_explain, 2 %) of every statement the services ran:
a sequential scan of \`orders\` would be the plan that grows with the table.

| dimension | value | allocators | confirmed holds/s | p99 at peak (ms) | achieved/s | p50 (ms) | p99 (ms) | purchase-api ms/req | allocator ms/req | postgres ms/req | WAL bytes/hold | machine busy | plans seen |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
${rows}
${r.growthFailures?.length ? `\n${growthFailureLines(r.growthFailures)}\n` : ''}
![holds/s and p99 against shards, table size and events on sale](${CHART_FILES.growth})

The capacity model drawn from these numbers: [docs/scaling.md](docs/scaling.md#capacity-model).
`;
}

/**
 * Whether other work shared the cores: the largest share of a core that processes not this bench's
 * ("other") took during any peak, or a load average already high before the run began. The load
 * average at the end is no sign of it: it counts the bench's own last runs (ten allocators, k6).
 */
export function sharedMachine(r: BenchReport): boolean {
  const peaks = [...r.results.flatMap((m) => m.peakRuns), ...r.growth.map((g) => g.peak)];
  const otherShare = Math.max(0, ...peaks.map((p) => (p.cpuSeconds.other ?? 0) / p.seconds));
  return r.loadAverage.start > 4 || otherShare > 0.25;
}

function ratioRows(r: BenchReport): string {
  const x = r.ratios;
  // Throughput and latency under other work on the cores say little about boxoffice: marked.
  const noisy = sharedMachine(r);
  const target = (ok: boolean): string =>
    `${ok ? 'met' : 'not met'}${noisy ? ' (under other load: not conclusive)' : ''}`;
  const full = r.results.find((m) => m.key === 'boxoffice');
  const rows: string[] = [];
  if (x.holdsVsNaive !== undefined)
    rows.push(
      `| boxoffice confirmed holds/s ÷ naive baseline | ${x.holdsVsNaive}× | ≥ 3× | ${target(x.holdsVsNaive >= 3)} |`,
    );
  if (x.deployedVsBench !== undefined)
    rows.push(
      `| the platform as deployed (e) ÷ the bench row (c), confirmed holds/s | ${(x.deployedVsBench * 100).toFixed(0)} % | ≥ 75 % (within 25 %) | ${target(x.deployedVsBench >= 0.75)} |`,
    );
  if (x.deployedCpuVsBench !== undefined)
    rows.push(
      `| the same by CPU: servers' CPU per request of (e) ÷ (c) at their peaks (less sensitive to other load on the machine) | ${x.deployedCpuVsBench}× | ≤ 1.33× | ${x.deployedCpuVsBench <= 1 / 0.75 ? 'met' : 'not met'} |`,
    );
  if (r.flash) {
    rows.push(
      flashAnswered(r.flash).unsent > 0
        ? `| flash sale: ${r.flash.tickets.toLocaleString('en')} tickets to ${r.flash.requests.toLocaleString('en')} requests, all answered | not all within ${r.flash.seconds} s (${flashAnswered(r.flash).answered.toLocaleString('en')} answered) | ≤ 60 s | not met |`
        : `| flash sale: ${r.flash.tickets.toLocaleString('en')} tickets to ${r.flash.requests.toLocaleString('en')} requests, all answered | ${r.flash.seconds} s | ≤ 60 s | ${target(r.flash.seconds <= 60)} |`,
    );
    rows.push(
      `| flash sale p99 | ${r.flash.orderLatencyMs.p99} ms | ≤ 500 ms | ${target(r.flash.orderLatencyMs.p99 <= 500)} |`,
    );
    const oversold = r.flash.counters.held + r.flash.counters.sold - r.flash.counters.capacity;
    rows.push(
      `| flash sale oversold | ${Math.max(0, oversold)} | 0 | ${oversold <= 0 && r.flash.violations.length === 0 ? 'met' : 'not met'} |`,
    );
  }
  if (x.holdsVsBareCeiling !== undefined)
    rows.push(
      `| boxoffice confirmed holds/s ÷ bare HTTP ceiling (requests/s) (issue 5) | ${(x.holdsVsBareCeiling * 100).toFixed(1)} % | ≥ 25 % | ${target(x.holdsVsBareCeiling >= 0.25)} |`,
    );
  if (x.p99AtHalfPeakMs !== undefined && full)
    rows.push(
      `| boxoffice p99 at half of its peak (${halfPeakRate(full)}/s) (issue 5) | ${x.p99AtHalfPeakMs} ms | ≤ 100 ms | ${target(x.p99AtHalfPeakMs <= 100)} |`,
    );
  if (x.holdCpuVsSoldOutCpu !== undefined) {
    rows.push(
      `| CPU of a hold ÷ CPU of a sold-out answer (purchase-api + allocator) (issue 5) | ${x.holdCpuVsSoldOutCpu}× | ≥ 10× | ${target(x.holdCpuVsSoldOutCpu >= 10)} |`,
    );
    rows.push(
      `| the same, counting PostgreSQL, Redis and Kafka too | ${x.holdCpuVsSoldOutCpuAllServers}× | | |`,
    );
  }
  return rows.join('\n');
}

export function renderReport(r: BenchReport): string {
  const s = r.settings as {
    peakSeconds: number;
    fixedSeconds: number;
    vuLevels: number[];
    rates: number[];
    deployedBuyers: number;
  };
  const full = r.results.find((m) => m.key === 'boxoffice');
  const deployed = r.results.find((m) => m.key === 'deployed');
  return `# Benchmarks

Measured by \`npm run bench\` on ${r.date.slice(0, 10)} (${r.date.slice(11, 16)} UTC).

- Machine: ${r.machine}. The load generator (k6) runs on the same 2 cores as the servers and competes
  with them; the "machine busy" column shows how saturated the cores were. **Load average (1 min) at the
  start and end of this run: ${r.loadAverage.start} and ${r.loadAverage.end}** (at the end, the bench's own last runs); work
  that is not the bench's is the "other" CPU group (only this checkout's PostgreSQL, Redis, Kafka and Jaeger are counted as theirs).
${
  sharedMachine(r)
    ? `- **This run shared the 2 cores with other work (load average far above 2): the "other" CPU group took most of
  the machine, so requests/s and latencies here are mostly a measure of that and vary between variants run a
  few minutes apart. CPU per request (ms, per process) is the comparison that still holds.**
`
    : ''
}- Versions: ${r.versions.join('; ')}.
- All variants ran in this one run, one after another, against the same PostgreSQL, Redis and Kafka,
  driven by the same k6: (a)–(d) with 5,000 buyer tokens and every request from one address, rate
  limits out of the way, tracing off; (e) and the flash sale as \`npm start\` deploys the platform (below).
  Tokens are JWT HS256, verified on every request.
- Peak: closed loops of ${s.vuLevels.join(' and ')} virtual users for ${s.peakSeconds} s each; the level with the most confirmed
  holds/s counts. **Confirmed holds** are rows committed to PostgreSQL during the run (counted there,
  not from HTTP answers); (a) stores nothing, so its figure in parentheses is only its 201 answers.
- Latency: constant arrival rates (${s.rates.join(', ')}/s and half of each variant's peak) for ${s.fixedSeconds} s each.
- CPU: user + system time from \`/proc/<pid>/stat\` before and after the peak run, per process group
  (share of one core; ms of CPU per request in parentheses). PostgreSQL, Redis and Kafka are shared
  servers, so their CPU is what this variant made them do.
- A 2-core machine is noisy (±10–20 % between runs, far more when others load it): compare variants within one run, not across runs.

## The platform as deployed (e)

(e) runs the services exactly as the chart deploys them with \`npm start\`: through the image's entrypoint
(\`images/entrypoint.ts\`, the OpenTelemetry SDK and its HTTP, Express, pg and ioredis instrumentation loaded
first), the chart's default sampler (\`telemetry.sampler\`/\`samplerRatio\`) exporting to a real trace store
(Jaeger, OTLP/HTTP; its CPU is its own group), the chart's log level, the services' own rate limits (per
buyer and per client address, in Redis), \`TRUSTED_PROXIES=loopback\` as \`npm start\` sets it, with
${(s.deployedBuyers ?? 0).toLocaleString('en')} buyers each sending its own address as X-Forwarded-For (as an ingress forwards it),
and one allocator process for the event's shards, as the operator deploys it by default
(\`spec.allocator.maxReplicas: 1\`).

## Peak

| variant | VUs | requests/s | confirmed holds/s | 202 answers/s | errors | p50 / p99 (ms) | machine busy | CPU per process: share of one core (ms/request) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
${r.results.map(peakRow).join('\n')}

${[batchLine(full, '(c)'), batchLine(deployed, '(e)')].filter(Boolean).join('\n')}

${statementSection([
  [full, '(c)'],
  [deployed, '(e)'],
])}
## Latency at fixed arrival rates (ms)

| variant | rate/s | achieved/s | p50 | p95 | p99 | errors |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${fixedRows(r.results)}

${r.charts.includes(CHART_FILES.latency) ? `![latency percentiles against arrival rate, per variant](${CHART_FILES.latency})\n` : ''}
${flashSection(r)}
## Ratios (targets from issues 14 and 5)

| ratio | measured | target | |
| --- | ---: | ---: | --- |
${ratioRows(r)}

Invariants in PostgreSQL after the run: ${r.invariantViolations.length === 0 ? 'no violations' : `${r.invariantViolations.length} violations (see BENCHMARKS.json)`}.

${growthSection(r)}
Raw numbers (every peak level, every rate, the flash sale's timeline): [BENCHMARKS.json](BENCHMARKS.json). Charts
are drawn from it by \`loadtest/bench/charts.ts\` (Vega-Lite rendered to SVG by Vega in Node). Analysis of what
limits boxoffice: [loadtest/README.md](loadtest/README.md#what-limits-boxoffice). Logs of this run: \`${r.logDir}\`.
The operator alone at 1,000 TicketEvents is measured by its own run (\`npm run bench:operator\`, it needs the
control plane and none of the purchase path): [loadtest/results/operator-scale.md](loadtest/results/operator-scale.md).
${r.profileSummary ? `\n${r.profileSummary}` : ''}`;
}

/** `node loadtest/bench/report.ts [BENCHMARKS.json]`: BENCHMARKS.md and the charts again from the JSON. */
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const json = resolve(process.argv[2] ?? 'BENCHMARKS.json');
  const report = JSON.parse(readFileSync(json, 'utf8')) as BenchReport;
  report.ratios = ratiosOf(report.results);
  report.charts = await writeCharts(report, dirname(json));
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dirname(json), 'BENCHMARKS.md'), renderReport(report));
  console.log(`report: ${join(dirname(json), 'BENCHMARKS.md')}, charts: ${report.charts.join(', ')}`);
}

/**
 * npm run bench — measures, in the same run on the same machine with the same k6:
 *   (a) the bare Node HTTP ceiling, (b) the naive baseline (one row per ticket type updated per
 *   request), (c) boxoffice's full path (purchase-api → Kafka → allocator → PostgreSQL → reply),
 *   and (d) boxoffice's sold-out answer.
 * For each: confirmed holds/s at peak (closed loops of BENCH_VUS virtual users; the best level
 * counts), p50/p95/p99 at fixed arrival rates (BENCH_RATES plus half of the variant's peak), error
 * rate, and CPU per process (from /proc, including PostgreSQL, Redis, Kafka and k6). "Confirmed"
 * means committed to PostgreSQL, counted there, not answers. Writes BENCHMARKS.md and
 * BENCHMARKS.json. BENCH_PROFILE=1 also runs boxoffice's processes under `--cpu-prof` (a separate,
 * unmeasured pass) and summarises where their CPU goes. Only the parts each variant needs run.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createPool } from '@boxoffice/platform/postgres';
import { invariantViolations } from '@boxoffice/store';
import { repoRoot } from '../scripts/deps/paths.ts';
import { freePort } from '../scripts/deps/processes.ts';
import { cpuSeconds, cpuSnapshot } from './bench/cpu.ts';
import { summariseProfiles } from './bench/profile.ts';
import { startLoadDeps } from './deps.ts';
import { count, runK6, type K6Metrics } from './k6.ts';
import {
  allReady,
  freshDatabase,
  loadTestSecret,
  provisionEvents,
  startAllocator,
  startPurchaseApi,
  writeTokens,
} from './platform.ts';
import { stopAll, type PlatformProcess } from './platform-processes.ts';

const PEAK_SECONDS = Number(process.env.BENCH_PEAK_SECONDS ?? 20);
const FIXED_SECONDS = Number(process.env.BENCH_FIXED_SECONDS ?? 20);
const VU_LEVELS = (process.env.BENCH_VUS ?? '64,256').split(',').map(Number);
const RATES = (process.env.BENCH_RATES ?? '200,500').split(',').map(Number);
const SHARDS = Number(process.env.BENCH_SHARDS ?? 4);
const PROFILE = process.env.BENCH_PROFILE === '1';
/** While tuning, BENCH_ONLY=boxoffice,soldout runs those variants and prints them (no report written). */
const ONLY = process.env.BENCH_ONLY?.split(',');
const wanted = (key: Measurement['key']): boolean => !ONLY || ONLY.includes(key);

const deps = await startLoadDeps();
const { settings } = deps;
const logDir = mkdtempSync(join(tmpdir(), 'boxoffice-bench-'));
const run = Date.now().toString(36);
const databaseUrl = await freshDatabase(settings, `bench_${run}`);
const tokenFile = await writeTokens(logDir, 5_000);
const pool = createPool(databaseUrl, 2);

interface Started {
  url: string;
  processes: PlatformProcess[];
  /** Holds committed to PostgreSQL so far (for (a), which stores nothing: its 201 answers). */
  confirmed: () => Promise<number | undefined>;
  /** Extra numbers read from the processes (e.g. the allocator's batch metrics). */
  probe?: () => Promise<Record<string, number>>;
}

interface PeakRun {
  vus: number;
  seconds: number;
  requestsPerSecond: number;
  answered201PerSecond: number;
  answered202PerSecond: number;
  soldOutPerSecond: number;
  confirmedHoldsPerSecond: number;
  errorRate: number;
  machineBusyPercent: number;
  /** CPU seconds per process group during the run, and per request in ms. */
  cpuSeconds: Record<string, number>;
  cpuMsPerRequest: Record<string, number>;
  probe?: Record<string, number>;
}

interface FixedRun {
  rate: number;
  achievedPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  errorRate: number;
  dropped: number;
}

interface Measurement {
  key: 'bare' | 'naive' | 'boxoffice' | 'soldout';
  variant: string;
  peak: PeakRun;
  peakRuns: PeakRun[];
  fixed: FixedRun[];
}

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));
let summaries = 0;
let k6CpuSeconds = 0;
const k6 = (env: Record<string, string>): Promise<K6Metrics> =>
  runK6(
    settings.K6_BIN!,
    'bench.js',
    { ...env, TOKENS: tokenFile },
    join(logDir, `summary-${++summaries}.json`),
  ).then((r) => {
    k6CpuSeconds = r.cpuSeconds;
    return r.metrics;
  });

async function peakRun(started: Started, vus: number): Promise<PeakRun> {
  const named = new Map(started.processes.map((p) => [p.child.pid!, p.name]));
  const [confirmedBefore, probeBefore] = [await started.confirmed(), await started.probe?.()];
  const before = cpuSnapshot();
  const m = await k6({ URL: started.url, VUS: String(vus), DURATION: `${PEAK_SECONDS}s` });
  const after = cpuSnapshot();
  const requests = count(m, 'http_reqs');
  const seconds = requests / (m.http_reqs?.rate ?? 1);
  const confirmedAfter = await settle(started);
  const probeAfter = await started.probe?.();
  const cpu = cpuSeconds(before, after, named);
  // k6 has exited by the second snapshot; its own sampled CPU is what it took from the servers.
  cpu.groups.k6 = k6CpuSeconds;
  cpu.groups.other = Math.max(0, (cpu.groups.other ?? 0) - k6CpuSeconds);
  if (cpu.others.length > 0)
    console.log(`bench:   other processes busy during the run: ${cpu.others.join('; ')}`);
  const perSecond = (n: number): number => round(n / seconds, 0);
  return {
    vus,
    seconds: round(seconds, 1),
    requestsPerSecond: perSecond(requests),
    answered201PerSecond: perSecond(count(m, 'holds')),
    answered202PerSecond: perSecond(count(m, 'pending')),
    soldOutPerSecond: perSecond(count(m, 'sold_out')),
    confirmedHoldsPerSecond: perSecond(
      confirmedAfter === undefined ? count(m, 'holds') : confirmedAfter - confirmedBefore!,
    ),
    errorRate: m.http_req_failed?.value ?? 0,
    machineBusyPercent: Math.round(cpu.machineBusyShare * 100),
    cpuSeconds: Object.fromEntries(Object.entries(cpu.groups).map(([k, v]) => [k, round(v)])),
    cpuMsPerRequest: Object.fromEntries(
      Object.entries(cpu.groups).map(([k, v]) => [k, round((v * 1000) / Math.max(1, requests), 3)]),
    ),
    ...(probeBefore && probeAfter
      ? {
          probe: Object.fromEntries(
            Object.entries(probeAfter).map(([k, v]) => [k, v - (probeBefore[k] ?? 0)]),
          ),
        }
      : {}),
  };
}

/** Answers still pending (202) commit a little later: wait until the count stops moving. */
async function settle(started: Started): Promise<number | undefined> {
  let last = await started.confirmed();
  if (last === undefined) return undefined;
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = (await started.confirmed())!;
    if (now === last) return now;
    last = now;
  }
  return last;
}

async function fixedRun(started: Started, rate: number): Promise<FixedRun> {
  const m = await k6({ URL: started.url, RATE: String(rate), DURATION: `${FIXED_SECONDS}s` });
  const d = m.http_req_duration ?? {};
  await settle(started);
  return {
    rate,
    achievedPerSecond: round(m.http_reqs?.rate ?? 0, 0),
    p50: round(d['p(50)'] ?? 0),
    p95: round(d['p(95)'] ?? 0),
    p99: round(d['p(99)'] ?? 0),
    errorRate: m.http_req_failed?.value ?? 0,
    dropped: count(m, 'dropped_iterations'),
  };
}

async function measure(
  key: Measurement['key'],
  variant: string,
  start: () => Promise<Started>,
  extraRate?: number,
): Promise<Measurement> {
  const started = await start();
  try {
    await allReady(started.processes);
    const peakRuns: PeakRun[] = [];
    for (const vus of VU_LEVELS) {
      console.log(`bench: ${variant}: closed loop of ${vus} virtual users for ${PEAK_SECONDS} s`);
      peakRuns.push(await peakRun(started, vus));
      console.log(`bench:   ${JSON.stringify(peakRuns.at(-1))}`);
    }
    const score = (r: PeakRun): number =>
      key === 'soldout' ? r.requestsPerSecond : r.confirmedHoldsPerSecond;
    const peak = peakRuns.reduce((best, r) => (score(r) > score(best) ? r : best));
    const half = Math.max(10, Math.floor(peak.requestsPerSecond / 2 / 10) * 10);
    const rates = [...new Set([...RATES, half, ...(extraRate ? [extraRate] : [])])].sort((a, b) => a - b);
    const fixed: FixedRun[] = [];
    for (const rate of rates) {
      console.log(`bench: ${variant}: ${rate} requests/s for ${FIXED_SECONDS} s`);
      fixed.push(await fixedRun(started, rate));
      console.log(`bench:   ${JSON.stringify(fixed.at(-1))}`);
    }
    return { key, variant, peak, peakRuns, fixed };
  } finally {
    await stopAll(started.processes);
  }
}

function spawnScript(name: string, script: string, env: NodeJS.ProcessEnv, port: number): PlatformProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'loadtest', script)], {
    env: { ...process.env, ...env, OTEL_SDK_DISABLED: 'true' },
    stdio: 'ignore',
  });
  return { name, child, url: `http://127.0.0.1:${port}` };
}

const countRows = async (query: string, values: unknown[] = []): Promise<number> =>
  Number((await pool.query<{ n: string }>(query, values)).rows[0]!.n);

async function boxoffice(name: string, capacity: number, nodeArgs: string[] = []): Promise<Started> {
  const prefix = `bench-${run}-${name}`;
  const event = { namespace: 'bench', name: `${name}-${Date.now().toString(36)}` };
  await provisionEvents(settings, databaseUrl, prefix, [
    { ...event, capacity, shards: SHARDS, perBuyerLimit: 100_000 },
  ]);
  const service = { settings, databaseUrl, prefix, logDir, nodeArgs };
  const allocator = await startAllocator(service, event);
  const api = await startPurchaseApi(service);
  return {
    url: `${api.url}/v1/events/${event.namespace}/${event.name}/orders`,
    processes: [api, allocator],
    confirmed: () =>
      countRows(
        `SELECT count(*) AS n FROM orders o JOIN events e ON e.id = o.event_id WHERE e.namespace = $1 AND e.name = $2 AND o.status = 'HELD'`,
        [event.namespace, event.name],
      ),
    probe: () => allocatorBatches(allocator.url),
  };
}

/** Sums of the allocator's batch histograms (all shards): batches, commands, seconds in batches. */
async function allocatorBatches(url: string): Promise<Record<string, number>> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  const sum = (metric: string): number =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${metric}{`) || l.startsWith(`${metric} `))
      .reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
  return {
    batches: sum('boxoffice_allocator_batch_size_count'),
    commands: sum('boxoffice_allocator_batch_size_sum'),
    batchSeconds: sum('boxoffice_allocator_batch_duration_seconds_sum'),
  };
}

const results: Measurement[] = [];
if (wanted('bare'))
  results.push(
    await measure('bare', '(a) bare node:http ceiling', async () => {
      const port = await freePort();
      const p = spawnScript('bare', 'bench/bare-server.ts', { PORT: String(port) }, port);
      return {
        url: `${p.url}/v1/events/bench/bare/orders`,
        processes: [p],
        confirmed: async () => undefined,
      };
    }),
  );
if (wanted('naive'))
  results.push(
    await measure('naive', '(b) naive: Express + pg, one row per ticket type', async () => {
      const port = await freePort();
      const p = spawnScript(
        'naive-api',
        'bench/naive-server.ts',
        {
          DATABASE_URL: databaseUrl,
          JWT_SECRET: loadTestSecret,
          PORT: String(port),
          EVENT: 'bench/naive',
          CAPACITY: '100000000',
        },
        port,
      );
      return {
        url: `${p.url}/v1/events/bench/naive/orders`,
        processes: [p],
        confirmed: () => countRows(`SELECT count(*) AS n FROM naive_orders`).catch(() => 0), // the table appears at start
      };
    }),
  );
if (wanted('boxoffice'))
  results.push(
    await measure('boxoffice', '(c) boxoffice: purchase-api → Kafka → allocator → PostgreSQL → reply', () =>
      boxoffice('full', 100_000_000),
    ),
  );
const holdHalfPeak = results
  .find((m) => m.key === 'boxoffice')
  ?.fixed.find((f) => !RATES.includes(f.rate))?.rate;
if (wanted('soldout'))
  results.push(
    await measure('soldout', '(d) boxoffice: sold-out answer', () => boxoffice('soldout', 0), holdHalfPeak),
  );

let profileSummary = '';
if (PROFILE) {
  const rate = holdHalfPeak ?? 500;
  const sections: string[] = [];
  for (const [title, capacity] of [
    ['a hold (c)', 100_000_000],
    ['a sold-out answer (d)', 0],
  ] as const) {
    const dir = join(logDir, 'profiles', capacity === 0 ? 'soldout' : 'hold');
    mkdirSync(dir, { recursive: true });
    console.log(`bench: profiling ${title} at ${rate}/s for ${FIXED_SECONDS} s (not part of the table)`);
    const started = await boxoffice(`profiled${capacity}`, capacity, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    try {
      await allReady(started.processes);
      await fixedRun(started, rate);
    } finally {
      await stopAll(started.processes);
    }
    const names = new Map(started.processes.map((p) => [p.child.pid!, p.name]));
    sections.push(
      `## Where boxoffice's CPU goes: ${title} (--cpu-prof, ${rate} requests/s for ${FIXED_SECONDS} s, start-up included)\n\nProfiles: \`${dir}\`.\n\n${summariseProfiles(dir, names)}`,
    );
  }
  profileSummary = sections.join('\n\n');
  writeFileSync(join(logDir, 'profile-summary.md'), profileSummary);
}

const violations = await invariantViolations(pool);
await pool.end();
if (ONLY) {
  console.log(JSON.stringify({ results, invariantViolations: violations }, null, 2));
  await deps.stop();
  process.exit(violations.length === 0 ? 0 : 1);
}

const [bare, naive, full, soldOut] = results as [Measurement, Measurement, Measurement, Measurement];
const appGroups = (m: Measurement): string[] =>
  m.peak && Object.keys(m.peak.cpuSeconds).filter((g) => !['k6', 'other'].includes(g));
const cpuPerRequest = (m: Measurement, groups: string[]): number =>
  groups.reduce((sum, g) => sum + (m.peak.cpuMsPerRequest[g] ?? 0), 0);
const halfPeakOf = (m: Measurement): FixedRun =>
  m.fixed.find((f) => f.rate === Math.max(10, Math.floor(m.peak.requestsPerSecond / 2 / 10) * 10))!;
const ratios = {
  holdsVsNaive: round(full.peak.confirmedHoldsPerSecond / naive.peak.confirmedHoldsPerSecond),
  holdsVsBareCeiling: round(full.peak.confirmedHoldsPerSecond / bare.peak.requestsPerSecond, 3),
  p99AtHalfPeakMs: halfPeakOf(full).p99,
  holdCpuVsSoldOutCpu: round(
    cpuPerRequest(full, ['purchase-api', 'allocator']) /
      cpuPerRequest(soldOut, ['purchase-api', 'allocator']),
    1,
  ),
  holdCpuVsSoldOutCpuAllServers: round(
    cpuPerRequest(full, appGroups(full)) / cpuPerRequest(soldOut, appGroups(soldOut)),
    1,
  ),
};

const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'cpu';
const machine = `${cpus().length} × ${model}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM`;
const date = new Date().toISOString();
const versions = [`Node ${process.version}`, ...deps.versions];
writeFileSync(
  join(repoRoot, 'BENCHMARKS.json'),
  `${JSON.stringify(
    {
      date,
      machine,
      versions,
      settings: {
        peakSeconds: PEAK_SECONDS,
        fixedSeconds: FIXED_SECONDS,
        vuLevels: VU_LEVELS,
        rates: RATES,
        shards: SHARDS,
      },
      results,
      ratios,
      invariantViolations: violations,
    },
    null,
    2,
  )}\n`,
);

const pct = (r: number): string => `${(r * 100).toFixed(2)} %`;
const cpuCell = (p: PeakRun): string =>
  Object.entries(p.cpuMsPerRequest)
    .filter(([g]) => g !== 'other' || p.cpuSeconds.other! > 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([g, ms]) => `${g} ${Math.round((p.cpuSeconds[g]! / p.seconds) * 100)} % (${ms})`)
    .join('; ');
const peakRow = (m: Measurement): string =>
  `| ${m.variant} | ${m.peak.vus} | ${m.peak.requestsPerSecond} | ${m.key === 'bare' ? `(${m.peak.confirmedHoldsPerSecond})` : m.peak.confirmedHoldsPerSecond} | ${m.peak.answered202PerSecond} | ${pct(m.peak.errorRate)} | ${m.peak.machineBusyPercent} % | ${cpuCell(m.peak)} |`;
const fixedRows = results
  .flatMap((m) =>
    m.fixed.map(
      (f) =>
        `| ${m.variant} | ${f.rate}${f === halfPeakOf(m) ? ' (½ peak)' : ''} | ${f.achievedPerSecond} | ${f.p50} | ${f.p95} | ${f.p99} | ${pct(f.errorRate)}${f.dropped ? `, ${f.dropped} dropped` : ''} |`,
    ),
  )
  .join('\n');
const probe = full.peak.probe;
const batchLine =
  probe && probe.batches
    ? `During (c)'s peak the allocator applied ${probe.batches} batches averaging ${(probe.commands! / probe.batches).toFixed(1)} commands and ${((probe.batchSeconds! / probe.batches) * 1000).toFixed(1)} ms each (transaction, forwards, offset commit, replies), busy ${Math.round((probe.batchSeconds! / full.peak.seconds) * 100)} % of the wall clock.`
    : '';
const target = (ok: boolean): string => (ok ? 'met' : 'not met');

writeFileSync(
  join(repoRoot, 'BENCHMARKS.md'),
  `# Benchmarks

Measured by \`npm run bench\` on ${date.slice(0, 10)} (${date.slice(11, 16)} UTC).

- Machine: ${machine}. The load generator (k6) runs on the same 2 cores as the servers and competes
  with them; the "machine busy" column shows how saturated the cores were.
- Versions: ${versions.join('; ')}.
- All variants ran in this one run, one after another, against the same PostgreSQL, Redis and Kafka,
  driven by the same k6 with the same 5,000 buyer tokens (JWT HS256, verified on every request).
- Peak: closed loops of ${VU_LEVELS.join(' and ')} virtual users for ${PEAK_SECONDS} s each; the level with the most confirmed
  holds/s counts. **Confirmed holds** are rows committed to PostgreSQL during the run (counted there,
  not from HTTP answers); (a) stores nothing, so its figure in parentheses is only its 201 answers.
- Latency: constant arrival rates (${RATES.join(', ')}/s and half of each variant's peak) for ${FIXED_SECONDS} s each.
- CPU: user + system time from \`/proc/<pid>/stat\` before and after the peak run, per process group
  (share of one core; ms of CPU per request in parentheses). PostgreSQL, Redis and Kafka are shared
  servers, so their CPU is what this variant made them do.
- A 2-core machine is noisy (±10–20 % between runs): compare variants within one run, not across runs.

## Peak

| variant | VUs | requests/s | confirmed holds/s | 202 answers/s | errors | machine busy | CPU per process: share of one core (ms/request) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |
${results.map(peakRow).join('\n')}

${batchLine}

## Latency at fixed arrival rates (ms)

| variant | rate/s | achieved/s | p50 | p95 | p99 | errors |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${fixedRows}

## Ratios (targets from issue 5)

| ratio | measured | target | |
| --- | ---: | ---: | --- |
| boxoffice confirmed holds/s ÷ naive baseline | ${ratios.holdsVsNaive}× | ≥ 3× | ${target(ratios.holdsVsNaive >= 3)} |
| boxoffice confirmed holds/s ÷ bare HTTP ceiling (requests/s) | ${(ratios.holdsVsBareCeiling * 100).toFixed(1)} % | ≥ 25 % | ${target(ratios.holdsVsBareCeiling >= 0.25)} |
| boxoffice p99 at half of its peak (${halfPeakOf(full).rate}/s) | ${ratios.p99AtHalfPeakMs} ms | ≤ 100 ms | ${target(ratios.p99AtHalfPeakMs <= 100)} |
| CPU of a hold ÷ CPU of a sold-out answer (purchase-api + allocator) | ${ratios.holdCpuVsSoldOutCpu}× | ≥ 10× | ${target(ratios.holdCpuVsSoldOutCpu >= 10)} |
| the same, counting PostgreSQL, Redis and Kafka too | ${ratios.holdCpuVsSoldOutCpuAllServers}× | | |

Invariants in PostgreSQL after the run: ${violations.length === 0 ? 'no violations' : `${violations.length} violations (see BENCHMARKS.json)`}.

Raw numbers (every peak level, every rate): [BENCHMARKS.json](BENCHMARKS.json). Analysis of what limits
boxoffice: [loadtest/README.md](loadtest/README.md#what-limits-boxoffice). Logs of this run: \`${logDir}\`.
${profileSummary ? `\n${profileSummary}` : ''}`,
);
console.log(readFileSync(join(repoRoot, 'BENCHMARKS.md'), 'utf8'));
await deps.stop();
process.exit(violations.length === 0 ? 0 : 1);

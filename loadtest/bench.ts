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
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createPool } from '@boxoffice/platform/postgres';
import { invariantViolations } from '@boxoffice/store';
import { repoRoot } from '../scripts/deps/paths.ts';
import { freePort } from '../scripts/deps/processes.ts';
import { cpuSeconds, cpuSnapshot } from './bench/cpu.ts';
import { writeCharts } from './bench/charts.ts';
import { summariseProfiles } from './bench/profile.ts';
import { StatementTimes, maintenanceCounts, maintenanceSince } from './bench/statements.ts';
import { ratiosOf, renderReport } from './bench/report.ts';
import type {
  BenchReport,
  FixedRun,
  FlashRow,
  GrowthFailure,
  GrowthPoint,
  Measurement,
  PeakRun,
} from './bench/types.ts';
import { valuesSchema } from '../scripts/chart/values-schema.ts';
import { depsStateDir } from '../scripts/deps/paths.ts';
import { explainSampled, fillOrders, logOffset, planCensus } from './bench/table-size.ts';
import { startLoadDeps } from './deps.ts';
import { runFlashSale } from './flash-sale.ts';
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
const MAX_VUS = process.env.BENCH_MAX_VUS ?? '1000';
/** The platform as deployed (e) and its flash sale (f). */
const DEPLOYED_BUYERS = Number(process.env.BENCH_DEPLOYED_BUYERS ?? 40_000);
const FLASH_TICKETS = Number(process.env.BENCH_FLASH_TICKETS ?? 100_000);
const FLASH_REQUESTS = Number(process.env.BENCH_FLASH_REQUESTS ?? 500_000);
const FLASH_VUS = Number(process.env.BENCH_FLASH_VUS ?? 256);
const PROFILE = process.env.BENCH_PROFILE === '1';
const PROFILE_WARMUP_MS = 3000;
/** While tuning, BENCH_ONLY=boxoffice,soldout runs those variants and prints them (no report written). */
const ONLY = process.env.BENCH_ONLY?.split(',');
const wanted = (key: Measurement['key'] | 'flash' | 'scaling'): boolean => !ONLY || ONLY.includes(key);

const startedAt = new Date().toISOString();
const loadAtStart = Number(loadavg()[0]!.toFixed(1));
const deps = await startLoadDeps({ traces: wanted('deployed') || wanted('flash') || PROFILE });
const { settings } = deps;
const logDir = mkdtempSync(join(tmpdir(), 'boxoffice-bench-'));
const run = Date.now().toString(36);
const databaseUrl = await freshDatabase(settings, `bench_${run}`);
const tokenFile = await writeTokens(logDir, 5_000);
const deployedTokenFile = await writeTokens(logDir, DEPLOYED_BUYERS, 'deployed-tokens.json');
const asDeployed = settings.OTEL_EXPORTER_OTLP_ENDPOINT
  ? { otlpEndpoint: settings.OTEL_EXPORTER_OTLP_ENDPOINT }
  : undefined;
const pool = createPool(databaseUrl, 2);
const statementTimes = new StatementTimes(pool);

interface Started {
  url: string;
  processes: PlatformProcess[];
  /** Holds committed to PostgreSQL so far (for (a), which stores nothing: its 201 answers). */
  confirmed: () => Promise<number | undefined>;
  /** Extra numbers read from the processes (e.g. the allocator's batch metrics). */
  probe?: () => Promise<Record<string, number>>;
  /** k6 variables of this variant (its buyers' tokens, forwarded addresses). */
  k6Env?: Record<string, string>;
  /** Releases what start() opened besides the processes. */
  close?: () => Promise<void>;
}

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));
let summaries = 0;
let k6CpuSeconds = 0;
const k6 = (env: Record<string, string>): Promise<K6Metrics> =>
  runK6(
    settings.K6_BIN!,
    'bench.js',
    { TOKENS: tokenFile, MAX_VUS, ...env },
    join(logDir, `summary-${++summaries}.json`),
  ).then((r) => {
    k6CpuSeconds = r.cpuSeconds;
    return r.metrics;
  });

async function peakRun(started: Started, vus: number, durationSeconds = PEAK_SECONDS): Promise<PeakRun> {
  const named = new Map(started.processes.map((p) => [p.child.pid!, p.name]));
  const [confirmedBefore, probeBefore] = [await started.confirmed(), await started.probe?.()];
  const walBefore = await walBytes();
  await statementTimes.reset();
  const maintenanceBefore = await maintenanceCounts(pool);
  const before = cpuSnapshot();
  const m = await k6({
    ...started.k6Env,
    URL: started.url,
    VUS: String(vus),
    DURATION: `${durationSeconds}s`,
  });
  const after = cpuSnapshot();
  const requests = count(m, 'http_reqs');
  const seconds = requests / (m.http_reqs?.rate ?? 1);
  const confirmedAfter = await settle(started);
  const probeAfter = await started.probe?.();
  const wal = (await walBytes()) - walBefore;
  const statements = await statementTimes.read();
  const postgresMaintenance = await maintenanceSince(pool, maintenanceBefore);
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
    ...(confirmedAfter && confirmedAfter > confirmedBefore!
      ? { walBytesPerHold: Math.round(wal / (confirmedAfter - confirmedBefore!)) }
      : {}),
    rateLimitedPerSecond: perSecond(count(m, 'rate_limited')),
    p50: round(m.http_req_duration?.['p(50)'] ?? 0),
    p99: round(m.http_req_duration?.['p(99)'] ?? 0),
    machineBusyPercent: Math.round(cpu.machineBusyShare * 100),
    cpuSeconds: Object.fromEntries(Object.entries(cpu.groups).map(([k, v]) => [k, round(v)])),
    cpuMsPerRequest: Object.fromEntries(
      Object.entries(cpu.groups).map(([k, v]) => [k, round((v * 1000) / Math.max(1, requests), 3)]),
    ),
    ...(statements.length > 0 ? { statements } : {}),
    postgresMaintenance,
    ...(probeBefore && probeAfter
      ? {
          probe: Object.fromEntries(
            Object.entries(probeAfter).map(([k, v]) => [k, v - (probeBefore[k] ?? 0)]),
          ),
        }
      : {}),
  };
}

/** WAL PostgreSQL has written so far (the whole server: only this bench uses it). */
const walBytes = async (): Promise<number> =>
  Number((await pool.query<{ b: string }>('SELECT wal_bytes AS b FROM pg_stat_wal')).rows[0]!.b);

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

async function fixedRun(started: Started, rate: number, durationSeconds = FIXED_SECONDS): Promise<FixedRun> {
  const m = await k6({
    ...started.k6Env,
    URL: started.url,
    RATE: String(rate),
    DURATION: `${durationSeconds}s`,
  });
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
    await started.close?.();
  }
}

function spawnScript(name: string, script: string, env: NodeJS.ProcessEnv, port: number): PlatformProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'loadtest', script)], {
    env: { ...process.env, ...env, OTEL_SDK_DISABLED: 'true' },
    stdio: 'ignore',
  });
  return { name, child, url: `http://127.0.0.1:${port}` };
}

const countRowsIn = async (
  on: ReturnType<typeof createPool>,
  query: string,
  values: unknown[] = [],
): Promise<number> => Number((await on.query<{ n: string }>(query, values)).rows[0]!.n);
const countRows = (query: string, values: unknown[] = []): Promise<number> =>
  countRowsIn(pool, query, values);

interface BoxofficeOptions {
  nodeArgs?: string[];
  /** As `npm start` deploys it (tracing, limits, log level, X-Forwarded-For and DEPLOYED_BUYERS). */
  deployed?: boolean;
  shards?: number;
  /** Allocator processes per event (one consumer group; each takes its share of the shards). */
  allocators?: number;
  /** Events on sale at once, each with its own allocators; requests are spread evenly. */
  events?: number;
  /** A database other than the bench's (the table-size runs fill their own). */
  databaseUrl?: string;
}

async function boxoffice(name: string, capacity: number, options: BoxofficeOptions = {}): Promise<Started> {
  const prefix = `bench-${run}-${name}`;
  const stamp = Date.now().toString(36);
  const events = Array.from({ length: options.events ?? 1 }, (_, i) => ({
    namespace: 'bench',
    name: `${name}-${stamp}${options.events ? `-${i}` : ''}`,
  }));
  const database = options.databaseUrl ?? databaseUrl;
  await provisionEvents(
    settings,
    database,
    prefix,
    events.map((e) => ({ ...e, capacity, shards: options.shards ?? SHARDS, perBuyerLimit: 100_000 })),
  );
  if (options.deployed && !asDeployed) throw new Error('the platform as deployed needs a trace store');
  // Each variant's logs in its own folder: every variant names its processes alike.
  const variantLogDir = join(logDir, name);
  mkdirSync(variantLogDir, { recursive: true });
  const service = {
    settings,
    databaseUrl: database,
    prefix,
    logDir: variantLogDir,
    nodeArgs: options.nodeArgs ?? [],
    ...(options.deployed ? { asDeployed } : {}),
  };
  const allocators: PlatformProcess[] = [];
  const wanted = events.length * (options.allocators ?? 1);
  try {
    for (const [e, event] of events.entries())
      for (let i = 0; i < (options.allocators ?? 1); i++) {
        // One CPU group for all of them (the tables show the allocators' sum); logs by event and index.
        allocators.push(await startAllocator(service, event, 'allocator', `allocator-${e}-${i}`));
        // What is measured is the sale, not a start: a hundred Node.js processes starting at once on
        // two cores starve each other (and purchase-api) past any readiness timeout, so in waves.
        if (allocators.length % ALLOCATOR_START_WAVE === 0)
          await allReady(allocators.slice(-ALLOCATOR_START_WAVE));
      }
  } catch (error) {
    // The waves already ready would otherwise outlive the bench and load every later run.
    await stopAll(allocators);
    const ready = Math.max(0, allocators.length - ALLOCATOR_START_WAVE);
    throw new Error(
      `${error instanceof Error ? error.message : String(error)} (${ready} of ${wanted} allocator processes were ready, started ${ALLOCATOR_START_WAVE} at a time)`,
      { cause: error },
    );
  }
  const api = await startPurchaseApi(service);
  const eventPool = database === databaseUrl ? pool : createPool(database, 2);
  return {
    url: events.map((e) => `${api.url}/v1/events/${e.namespace}/${e.name}/orders`).join(' '),
    processes: [api, ...allocators],
    confirmed: () =>
      countRowsIn(
        eventPool,
        `SELECT count(*) AS n FROM orders o JOIN events e ON e.id = o.event_id WHERE e.namespace = 'bench' AND e.name = ANY($1) AND o.status = 'HELD'`,
        [events.map((e) => e.name)],
      ),
    probe: async () => {
      const sums: Record<string, number> = {};
      for (const a of allocators)
        for (const [k, v] of Object.entries(await allocatorBatches(a.url))) sums[k] = (sums[k] ?? 0) + v;
      return sums;
    },
    ...(options.deployed ? { k6Env: { TOKENS: deployedTokenFile, FORWARDED: '1' } } : {}),
    ...(eventPool !== pool ? { close: () => eventPool.end() } : {}),
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

const list = (raw: string): number[] => raw.split(',').filter(Boolean).map(Number);
const SCALE_SECONDS = Number(process.env.BENCH_SCALE_SECONDS ?? 15);
const SCALE_VUS = Number(process.env.BENCH_SCALE_VUS ?? 256);
const SCALE_RATE = Number(process.env.BENCH_SCALE_RATE ?? 1000);
const SCALE_SHARDS = list(process.env.BENCH_SCALE_SHARDS ?? '1,2,4,8');
const SCALE_ORDERS = list(process.env.BENCH_SCALE_ORDERS ?? '0,1000000,10000000');
const SCALE_EVENTS = list(process.env.BENCH_SCALE_EVENTS ?? '1,10,100');
/** Allocator processes started at once before waiting for them to be ready. */
const ALLOCATOR_START_WAVE = 10;
/** Memory an idle allocator process takes (RSS measured: ~110 MB), for the many-events runs. */
const ALLOCATOR_MEMORY = 160 * 2 ** 20;

/** Configurations that could not be measured: recorded in the report, not ending the run. */
const growthFailures: GrowthFailure[] = [];

async function growthPoint(
  dimension: GrowthPoint['dimension'],
  value: number,
  start: () => Promise<Started>,
): Promise<GrowthPoint | undefined> {
  let started: Started | undefined;
  try {
    started = await start();
    await allReady(started.processes); // stops them all if one is not ready
  } catch (error) {
    await started?.close?.();
    // A configuration the machine cannot start (a hundred allocator processes on two cores) is a
    // result too, and the measurements made before it are not lost for it.
    const reason = error instanceof Error ? error.message : String(error);
    console.log(`bench: cost growth, ${dimension} = ${value}: not measured: ${reason}`);
    growthFailures.push({ dimension, value, reason });
    return undefined;
  }
  try {
    console.log(`bench: cost growth, ${dimension} = ${value}: ${SCALE_VUS} VUs, then ${SCALE_RATE}/s`);
    const peak = await peakRun(started, SCALE_VUS, SCALE_SECONDS);
    const fixed = await fixedRun(started, SCALE_RATE, SCALE_SECONDS);
    const point = { dimension, value, allocators: started.processes.length - 1, peak, fixed };
    console.log(`bench:   ${JSON.stringify(point)}`);
    return point;
  } finally {
    await stopAll(started.processes);
    await started.close?.();
  }
}

function availableMemory(): number {
  const kb = /MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return Number(kb ?? 0) * 1024;
}

const growthViolations: string[] = [];
async function costGrowth(): Promise<GrowthPoint[]> {
  const points: GrowthPoint[] = [];
  const pushPoint = (point: GrowthPoint | undefined): void => {
    if (point) points.push(point);
  };
  for (const n of SCALE_SHARDS)
    pushPoint(
      await growthPoint('shards', n, () =>
        boxoffice(`shards${n}`, 100_000_000, { shards: n, allocators: n }),
      ),
    );
  if (SCALE_ORDERS.length > 0) {
    const name = `bench_${run}_orders`;
    const url = await freshDatabase(settings, name);
    await provisionEvents(settings, url, `bench-${run}-past`, [
      { namespace: 'bench', name: 'past-orders', capacity: 1, shards: 1, perBuyerLimit: 4 },
    ]);
    await explainSampled(pool, name);
    const tablePool = createPool(url, 2);
    const pgLog = join(depsStateDir, 'postgres', 'postgres.log');
    try {
      const eventId = (
        await tablePool.query<{ id: string }>(`SELECT id FROM events WHERE name = 'past-orders'`)
      ).rows[0]!.id;
      for (const n of SCALE_ORDERS) {
        const filling = Date.now();
        await fillOrders(tablePool, eventId, n);
        const fillSeconds = round((Date.now() - filling) / 1000, 0);
        console.log(`bench: orders table at ${n} rows (filled in ${fillSeconds} s)`);
        const offset = logOffset(pgLog);
        const point = await growthPoint('orders', n, () =>
          boxoffice(`orders${n}`, 100_000_000, { databaseUrl: url }),
        );
        pushPoint(point && { ...point, fillSeconds, plans: planCensus(pgLog, offset) });
      }
      growthViolations.push(...(await invariantViolations(tablePool)).map((v) => `orders table: ${v}`));
    } finally {
      await tablePool.end();
    }
  }
  for (const n of SCALE_EVENTS) {
    if (n * ALLOCATOR_MEMORY > availableMemory() - 4 * 2 ** 30) {
      const reason = `skipped, too little free memory for ${n} allocator processes`;
      console.log(`bench: cost growth, events = ${n}: ${reason}`);
      growthFailures.push({ dimension: 'events', value: n, reason });
      continue;
    }
    pushPoint(await growthPoint('events', n, () => boxoffice(`events${n}`, 100_000_000, { events: n })));
  }
  return points;
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
const telemetry = valuesSchema.shape.telemetry.parse(undefined);
const deployedVariant = `(e) boxoffice as \`npm start\` deploys it: tracing (${telemetry.sampler} ${telemetry.samplerRatio}), ${DEPLOYED_BUYERS.toLocaleString('en')} buyers, X-Forwarded-For, the services' own rate limits, one allocator for ${SHARDS} shards`;
if (wanted('deployed'))
  results.push(
    await measure(
      'deployed',
      deployedVariant,
      () => boxoffice('deployed', 100_000_000, { deployed: true }),
      holdHalfPeak,
    ),
  );

let flash: FlashRow | undefined;
if (wanted('flash') && asDeployed) {
  console.log(
    `bench: flash sale as deployed: ${FLASH_TICKETS} tickets, ${FLASH_REQUESTS} requests, ${FLASH_VUS} VUs`,
  );
  const before = cpuSnapshot();
  const sale = await runFlashSale({
    settings,
    capacity: FLASH_TICKETS,
    requests: FLASH_REQUESTS,
    buyers: DEPLOYED_BUYERS,
    shards: SHARDS,
    allocators: 1,
    vus: FLASH_VUS,
    // The sale is measured to its end: at 1,384 requests/s (2026-12-03) 500,000 outlast k6's default 5 min.
    maxDuration: '20m',
    asDeployed,
    forwarded: true,
    timeline: true,
  });
  const busy = cpuSeconds(before, cpuSnapshot(), new Map()).machineBusyShare;
  flash = {
    tickets: FLASH_TICKETS,
    requests: FLASH_REQUESTS,
    buyers: DEPLOYED_BUYERS,
    vus: FLASH_VUS,
    seconds: round(sale.seconds, 1),
    sellOutSeconds: round(sale.sellOutSeconds, 1),
    requestsPerSecond: round(sale.requestsPerSecond, 0),
    orderLatencyMs: {
      p50: round(sale.orderLatency.p50),
      p95: round(sale.orderLatency.p95),
      p99: round(sale.orderLatency.p99),
      max: round(sale.orderLatency.max),
    },
    answers: sale.answers,
    counters: sale.counters,
    violations: sale.violations,
    k6ExitCode: sale.k6ExitCode,
    machineBusyPercent: Math.round(busy * 100),
    timeline: sale.timeline ?? [],
    logDir: sale.logDir,
  };
  console.log(`bench:   ${JSON.stringify({ ...flash, timeline: flash.timeline.length })}`);
}

let growth: GrowthPoint[] = [];
if (wanted('scaling')) growth = await costGrowth();

let profileSummary = '';
if (PROFILE) {
  const rate = Number(process.env.BENCH_PROFILE_RATE ?? holdHalfPeak ?? 500);
  const sections: string[] = [];
  for (const [title, capacity, deployed] of [
    ['a hold (c)', 100_000_000, false],
    ['a sold-out answer (d)', 0, false],
    ...(asDeployed ? ([['a hold as deployed (e)', 100_000_000, true]] as const) : []),
  ] as const) {
    const dir = join(logDir, 'profiles', deployed ? 'deployed' : capacity === 0 ? 'soldout' : 'hold');
    mkdirSync(dir, { recursive: true });
    console.log(`bench: profiling ${title} at ${rate}/s for ${FIXED_SECONDS} s (not part of the table)`);
    const started = await boxoffice(`profiled${capacity}${deployed ? 'd' : ''}`, capacity, {
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
      deployed,
    });
    const spawned = Date.now(); // the processes have just been spawned
    let steady: { skipMs: number; requests: number } | undefined;
    try {
      await allReady(started.processes);
      // Start-up (module loading, connections) and the first seconds of load are left out.
      const skipMs = Date.now() - spawned + PROFILE_WARMUP_MS;
      const fixed = await fixedRun(started, rate);
      steady = {
        skipMs,
        requests: Math.round(fixed.achievedPerSecond * (FIXED_SECONDS - PROFILE_WARMUP_MS / 1000)),
      };
    } finally {
      await stopAll(started.processes);
    }
    const names = new Map(started.processes.map((p) => [p.child.pid!, p.name]));
    sections.push(
      `## Where boxoffice's CPU goes: ${title} (--cpu-prof, ${rate} requests/s for ${FIXED_SECONDS} s; start-up and the first ${PROFILE_WARMUP_MS / 1000} s left out)\n\nProfiles: \`${dir}\`.\n\n${summariseProfiles(dir, names, 12, steady)}`,
    );
  }
  profileSummary = sections.join('\n\n');
  writeFileSync(join(logDir, 'profile-summary.md'), profileSummary);
}

const violations = [...(await invariantViolations(pool)), ...growthViolations];
await pool.end();
if (ONLY && process.env.BENCH_MERGE_GROWTH === '1') {
  // A second pass of cost growth (e.g. a table size the main run had no time for) joins the
  // report of the last full run: its points replace those of the same dimension and value.
  const file = join(repoRoot, 'BENCHMARKS.json');
  const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
  const key = (g: Pick<GrowthPoint, 'dimension' | 'value'>): string => `${g.dimension}=${g.value}`;
  const DIMENSIONS: GrowthPoint['dimension'][] = ['shards', 'orders', 'events'];
  const byDimension = (a: Pick<GrowthPoint, 'dimension' | 'value'>, b: typeof a): number =>
    DIMENSIONS.indexOf(a.dimension) - DIMENSIONS.indexOf(b.dimension) || a.value - b.value;
  const fresh = new Map(growth.map((g) => [key(g), { ...g, pass: startedAt }]));
  const failed = new Map(growthFailures.map((f) => [key(f), { ...f, pass: startedAt }]));
  // This pass's verdict on a configuration, measured or not, replaces the last run's.
  const tried = (g: Pick<GrowthPoint, 'dimension' | 'value'>): boolean =>
    fresh.has(key(g)) || failed.has(key(g));
  report.growth = [...report.growth.filter((g) => !tried(g)), ...fresh.values()].sort(byDimension);
  report.growthFailures = [
    ...(report.growthFailures ?? []).filter((f) => !tried(f)),
    ...failed.values(),
  ].sort(byDimension);
  report.invariantViolations.push(...violations);
  report.charts = await writeCharts(report, repoRoot);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(repoRoot, 'BENCHMARKS.md'), renderReport(report));
  console.log(`bench: merged ${growth.length} cost-growth points into BENCHMARKS.json and BENCHMARKS.md`);
}
if (ONLY) {
  console.log(
    JSON.stringify(
      {
        results,
        flash: flash && { ...flash, timeline: flash.timeline.length },
        growth,
        growthFailures,
        invariantViolations: violations,
      },
      null,
      2,
    ),
  );
  await deps.stop();
  process.exit(violations.length === 0 ? 0 : 1);
}

const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'cpu';
const report: BenchReport = {
  date: startedAt,
  machine: `${cpus().length} × ${model}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM`,
  versions: [`Node ${process.version}`, ...deps.versions],
  loadAverage: { start: loadAtStart, end: round(loadavg()[0]!, 1) },
  settings: {
    peakSeconds: PEAK_SECONDS,
    fixedSeconds: FIXED_SECONDS,
    vuLevels: VU_LEVELS,
    rates: RATES,
    shards: SHARDS,
    maxVus: Number(MAX_VUS),
    deployedBuyers: DEPLOYED_BUYERS,
    sampler: `${telemetry.sampler} ${telemetry.samplerRatio}`,
    scaleSeconds: SCALE_SECONDS,
    scaleVus: SCALE_VUS,
    scaleRate: SCALE_RATE,
  },
  results,
  ...(flash ? { flash } : {}),
  growth,
  ...(growthFailures.length > 0 ? { growthFailures } : {}),
  ratios: ratiosOf(results),
  invariantViolations: violations,
  logDir,
  ...(profileSummary ? { profileSummary } : {}),
  charts: [],
};
report.charts = await writeCharts(report, repoRoot);
writeFileSync(join(repoRoot, 'BENCHMARKS.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(repoRoot, 'BENCHMARKS.md'), renderReport(report));
console.log(readFileSync(join(repoRoot, 'BENCHMARKS.md'), 'utf8'));
await deps.stop();
process.exit(violations.length === 0 && (!flash || flash.violations.length === 0) ? 0 : 1);

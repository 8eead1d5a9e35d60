/**
 * npm run bench — measures, in the same run on the same machine with the same k6:
 *   (a) the bare Node HTTP ceiling, (b) the naive baseline (one row per ticket type updated per
 *   request), (c) boxoffice's full path (purchase-api → Kafka → allocator → PostgreSQL → reply),
 *   and (d) boxoffice's sold-out answer.
 * For each: holds/s at peak (closed loop), p50/p95/p99 at half of that rate, error rate, and CPU
 * per process. Writes BENCHMARKS.md and BENCHMARKS.json. Only the parts each variant needs run;
 * the Kubernetes control plane is not part of the purchase path.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { signLocalToken } from '@boxoffice/platform/auth/jwt';
import { createKafka, sharedTopics } from '@boxoffice/platform/kafka';
import { createLogger } from '@boxoffice/platform/logger';
import { createPool } from '@boxoffice/platform/postgres';
import { ensureTopic, migrate, provisionEvent } from '@boxoffice/store';
import pg from 'pg';
import { Kafka } from '../scripts/deps/kafka.ts';
import { Postgres } from '../scripts/deps/postgres.ts';
import { Redis } from '../scripts/deps/redis.ts';
import { Tools } from '../scripts/deps/tools.ts';
import { repoRoot } from '../scripts/deps/paths.ts';
import { freePort } from '../scripts/deps/processes.ts';
import { startService, stopAll, waitReady, type PlatformProcess } from './platform-processes.ts';

const PEAK_SECONDS = Number(process.env.BENCH_PEAK_SECONDS ?? 20);
const FIXED_SECONDS = Number(process.env.BENCH_FIXED_SECONDS ?? 15);
const VUS = Number(process.env.BENCH_VUS ?? 64);
const secret = 'bench-secret-that-is-at-least-32-characters';
const logDir = mkdtempSync(join(tmpdir(), 'boxoffice-bench-'));

const settings: Record<string, string> = {};
const parts = [new Postgres(), new Redis(), new Kafka(), new Tools()];
for (const part of parts) {
  const external = part.external();
  if (!external) await part.ensure();
  Object.assign(settings, external ?? (await part.up()));
}
const versions = await Promise.all(parts.map((p) => p.version(settings).catch(() => p.name)));

const run = Date.now().toString(36);
const database = `bench_${run}`;
const admin = new pg.Client({ connectionString: settings.DATABASE_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${database}`);
await admin.end();
const dbUrl = new URL(settings.DATABASE_URL!);
dbUrl.pathname = `/${database}`;
const databaseUrl = dbUrl.toString();
await migrate(databaseUrl);

const tokens = await Promise.all(
  Array.from({ length: 5_000 }, (_, i) =>
    signLocalToken({
      secret,
      issuer: 'boxoffice-local',
      audience: 'boxoffice',
      buyerId: `fan-${i}`,
      expiresIn: '2h',
    }),
  ),
);
const tokenFile = join(logDir, 'tokens.json');
writeFileSync(tokenFile, JSON.stringify(tokens));

interface Measurement {
  variant: string;
  peakRequestsPerSecond: number;
  peakHoldsPerSecond: number;
  fixedRate: number;
  p50: number;
  p95: number;
  p99: number;
  errorRate: number;
  cpu: Record<string, { percentOfCore: number; msPerRequest: number }>;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100/s)
}

async function k6(env: Record<string, string>): Promise<Record<string, Record<string, number>>> {
  const summary = join(logDir, `summary-${Date.now()}.json`);
  const args = [
    'run',
    '--quiet',
    '--no-usage-report',
    `--summary-export=${summary}`,
    ...Object.entries({ ...env, TOKENS: tokenFile }).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    join(repoRoot, 'loadtest', 'bench.js'),
  ];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(settings.K6_BIN!, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
  return (JSON.parse(readFileSync(summary, 'utf8')) as { metrics: Record<string, Record<string, number>> })
    .metrics;
}

async function measure(
  variant: string,
  url: string,
  processes: PlatformProcess[],
  options: { fixedRate?: number } = {},
): Promise<Measurement> {
  console.log(`bench: ${variant}: peak, ${VUS} virtual users for ${PEAK_SECONDS}s`);
  const before = new Map(processes.map((p) => [p.name, cpuTicks(p.child.pid!)]));
  const peak = await k6({ URL: url, VUS: String(VUS), DURATION: `${PEAK_SECONDS}s` });
  const requests = peak.http_reqs!.count!;
  const cpu = Object.fromEntries(
    processes.map((p) => {
      const seconds = (cpuTicks(p.child.pid!) - before.get(p.name)!) / 100;
      return [
        p.name,
        {
          percentOfCore: Math.round((seconds / PEAK_SECONDS) * 100),
          msPerRequest: Number(((seconds * 1000) / requests).toFixed(3)),
        },
      ];
    }),
  );
  const peakHolds = (peak.holds?.count ?? 0) / PEAK_SECONDS;
  const fixedRate = options.fixedRate ?? Math.max(10, Math.floor((peak.http_reqs!.rate! * 0.5) / 10) * 10);
  console.log(
    `bench: ${variant}: ${Math.round(peak.http_reqs!.rate!)} req/s at peak; latency at ${fixedRate}/s for ${FIXED_SECONDS}s`,
  );
  const fixed = await k6({ URL: url, RATE: String(fixedRate), DURATION: `${FIXED_SECONDS}s` });
  const duration = fixed.http_req_duration!;
  return {
    variant,
    peakRequestsPerSecond: Math.round(peak.http_reqs!.rate!),
    peakHoldsPerSecond: Math.round(peakHolds),
    fixedRate,
    p50: Number(duration['p(50)']!.toFixed(2)),
    p95: Number(duration['p(95)']!.toFixed(2)),
    p99: Number(duration['p(99)']!.toFixed(2)),
    errorRate: fixed.http_req_failed?.value ?? 0,
    cpu,
  };
}

const results: Measurement[] = [];
const env = {
  DATABASE_URL: databaseUrl,
  REDIS_URL: settings.REDIS_URL,
  KAFKA_BROKERS: settings.KAFKA_BROKERS,
  JWT_SECRET: secret,
  WEBHOOK_SECRET: 'bench-webhook-secret-0123',
  RATE_LIMIT_PER_IP_PER_SECOND: '10000000',
  RATE_LIMIT_PER_BUYER_PER_SECOND: '100000',
};
async function variant(
  name: string,
  start: () => Promise<{ url: string; processes: PlatformProcess[] }>,
  fixedRate?: number,
): Promise<void> {
  const { url, processes } = await start();
  try {
    await Promise.all(processes.map((p) => waitReady(p)));
    results.push(await measure(name, url, processes, fixedRate === undefined ? {} : { fixedRate }));
  } finally {
    await stopAll(processes);
  }
}

await variant('(a) bare node:http ceiling', async () => {
  const port = await freePort();
  const p = spawnScript('bare', 'bench/bare-server.ts', { PORT: String(port) }, port);
  return { url: `${p.url}/v1/events/bench/bare/orders`, processes: [p] };
});
await variant('(b) naive: Express + pg, one row per ticket type', async () => {
  const port = await freePort();
  const p = spawnScript(
    'naive-api',
    'bench/naive-server.ts',
    { ...env, PORT: String(port), EVENT: 'bench/naive', CAPACITY: '100000000' },
    port,
  );
  return { url: `${p.url}/v1/events/bench/naive/orders`, processes: [p] };
});

async function boxoffice(
  name: string,
  capacity: number,
): Promise<{ url: string; processes: PlatformProcess[] }> {
  const prefix = `bench-${run}-${name}`;
  const pool = createPool(databaseUrl);
  const kafka = createKafka({
    clientId: 'bench',
    brokers: settings.KAFKA_BROKERS!.split(','),
    logger: createLogger('bench', 'error'),
  });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  for (const topic of Object.values(sharedTopics(prefix))) await ensureTopic(kafkaAdmin, topic, 1);
  const now = Date.now();
  await provisionEvent(
    { pool, admin: kafkaAdmin },
    {
      namespace: 'bench',
      name,
      displayName: 'Bench',
      venue: 'Bench',
      startsAt: new Date(now + 86_400_000).toISOString(),
      sales: {
        opensAt: new Date(now - 60_000).toISOString(),
        closesAt: new Date(now + 7_200_000).toISOString(),
        perBuyerLimit: 1000,
        holdTtlSeconds: 7_200,
      },
      ticketTypes: [{ name: 'standard', priceMinor: 5000, currency: 'EUR', capacity }],
      shards: 4,
      paused: false,
    },
  );
  await kafkaAdmin.disconnect();
  await pool.end();
  const serviceEnv = { ...env, BOXOFFICE_PREFIX: prefix, EVENT_NAMESPACE: 'bench', EVENT_NAME: name };
  const [apiPort, allocatorPort] = [await freePort(), await freePort()];
  const allocator = startService(
    'allocator',
    'allocator',
    allocatorPort,
    { ...serviceEnv, PORT: String(allocatorPort) },
    logDir,
  );
  const api = startService(
    'purchase-api',
    'purchase-api',
    apiPort,
    { ...serviceEnv, PURCHASE_API_PORT: String(apiPort) },
    logDir,
  );
  return { url: `${api.url}/v1/events/bench/${name}/orders`, processes: [api, allocator] };
}
await variant('(c) boxoffice: purchase-api → Kafka → allocator → PostgreSQL → reply', () =>
  boxoffice('full', 100_000_000),
);
const holdRate = results.at(-1)!.fixedRate;
await variant('(d) boxoffice: sold-out answer', () => boxoffice('soldout', 0), holdRate);

function spawnScript(
  name: string,
  script: string,
  scriptEnv: NodeJS.ProcessEnv,
  port: number,
): PlatformProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'loadtest', script)], {
    env: { ...process.env, ...scriptEnv, OTEL_SDK_DISABLED: 'true' },
    stdio: 'ignore',
  });
  return { name, child, url: `http://127.0.0.1:${port}` };
}

const [bare, naive, full, soldOut] = results as [Measurement, Measurement, Measurement, Measurement];
const cpuPerRequest = (m: Measurement): number =>
  Object.values(m.cpu).reduce((sum, c) => sum + c.msPerRequest, 0);
const ratios = {
  holdsVsNaive: Number((full.peakHoldsPerSecond / naive.peakHoldsPerSecond).toFixed(2)),
  holdsVsBareCeiling: Number((full.peakHoldsPerSecond / bare.peakRequestsPerSecond).toFixed(3)),
  p99AtHalfPeakMs: full.p99,
  soldOutCheaperThanHoldByCpu: Number((cpuPerRequest(full) / cpuPerRequest(soldOut)).toFixed(1)),
};
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`;
const date = new Date().toISOString();
writeFileSync(
  join(repoRoot, 'BENCHMARKS.json'),
  `${JSON.stringify({ date, machine, node: process.version, versions, peakSeconds: PEAK_SECONDS, fixedSeconds: FIXED_SECONDS, vus: VUS, results, ratios }, null, 2)}\n`,
);
const row = (m: Measurement): string =>
  `| ${m.variant} | ${m.peakRequestsPerSecond} | ${m.peakHoldsPerSecond} | ${m.fixedRate} | ${m.p50} | ${m.p95} | ${m.p99} | ${(m.errorRate * 100).toFixed(2)} % | ${Object.entries(
    m.cpu,
  )
    .map(([n, c]) => `${n} ${c.percentOfCore} % (${c.msPerRequest} ms/req)`)
    .join('; ')} |`;
writeFileSync(
  join(repoRoot, 'BENCHMARKS.md'),
  `# Benchmarks

Measured by \`npm run bench\` on ${date.slice(0, 10)}: ${machine}; Node ${process.version}; ${versions.join('; ')}.
All variants ran in the same run, on the same machine, driven by the same k6 from the same machine
(k6 itself competes for the 2 cores). Peak: a closed loop of ${VUS} virtual users for ${PEAK_SECONDS} s.
Latency: a constant arrival rate of half the variant's peak request rate for ${FIXED_SECONDS} s (for
(d), the same rate as (c)). CPU: user + system time of each process during the peak run.
Numbers on a 2-core machine are noisy (±10–20 % between runs); compare variants within one run.

| variant | peak req/s | peak holds/s | fixed rate/s | p50 ms | p95 ms | p99 ms | errors | CPU (share of one core at peak; per request) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
${results.map(row).join('\n')}

Ratios (targets from the load issue in parentheses):

- boxoffice confirmed holds/s vs the naive baseline: **${ratios.holdsVsNaive}×** (≥ 3×)
- boxoffice holds/s vs the bare HTTP ceiling: **${(ratios.holdsVsBareCeiling * 100).toFixed(1)} %** (≥ 25 %)
- boxoffice p99 at half of peak: **${ratios.p99AtHalfPeakMs} ms** (≤ 100 ms)
- CPU of a hold vs a sold-out answer (purchase-api + allocator): **${ratios.soldOutCheaperThanHoldByCpu}×** (≥ 10×)

Raw numbers: [BENCHMARKS.json](BENCHMARKS.json). Logs of the run: \`${logDir}\`.
`,
);
console.log(readFileSync(join(repoRoot, 'BENCHMARKS.md'), 'utf8'));
process.exit(0);

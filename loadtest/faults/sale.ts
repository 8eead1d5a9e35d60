import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { newOrderId, type EventKey } from '@boxoffice/inventory';
import { signLocalToken } from '@boxoffice/platform/auth/jwt';
import { createPool } from '@boxoffice/platform/postgres';
import type pg from 'pg';
import type { Settings } from '../../scripts/deps/env-file.ts';
import { freePort } from '../../scripts/deps/processes.ts';
import { runK6 } from '../k6.ts';
import {
  allReady,
  freshDatabase,
  loadTestSecret,
  provisionEvents,
  serviceEnv,
  startQueryApi,
  writeTokens,
  type ServiceOptions,
} from '../platform.ts';
import { startService, stopAll, waitReady, type PlatformProcess } from '../platform-processes.ts';
import { auditSale, type AcceptedOrder, type AuditResult } from './audit.ts';
import { Probe, secondsUntilServed } from './probe.ts';
import { ShardWatch } from './shard-watch.ts';
import type { FaultableKafka, FaultablePostgres, FaultableRedis } from './servers.ts';

/** The load every fault runs under: a flash sale at a constant arrival rate. */
export interface SaleLoad {
  /** Requests per second k6 starts. */
  rate: number;
  seconds: number;
  capacity: number;
  shards: number;
  allocators: number;
  buyers: number;
  /** When the fault is injected, after the load started. */
  injectAfterSeconds: number;
}

/** What a fault sees of the running platform. */
export interface FaultContext {
  settings: Settings;
  pool: pg.Pool;
  event: EventKey;
  eventId: string;
  servers: { postgres?: FaultablePostgres; redis?: FaultableRedis; kafka?: FaultableKafka };
  allocators: PlatformProcess[];
  /** Starts another allocator process (a Deployment replacing a pod); application_name = its name. */
  startAllocator(name: string, env?: NodeJS.ProcessEnv, ready?: boolean): Promise<PlatformProcess>;
  /** The moment the fault happened (defaults to when `inject` was called). */
  injected(at?: number): void;
  note(text: string): void;
  logDir: string;
}

export interface Fault {
  id: string;
  title: string;
  /** What is injected, for the report. */
  injection: string;
  load?: Partial<SaleLoad>;
  /** Extra environment for allocator `i` of the initial set (a fault point). */
  allocatorEnv?: (index: number) => NodeJS.ProcessEnv;
  /** Injects the fault and repairs what a cluster would (a restarted pod, a restarted server). */
  inject(ctx: FaultContext): Promise<void>;
  /** Fault-specific checks after the audit (e.g. that a batch was really redelivered). */
  verify?(ctx: FaultContext): Promise<string[]>;
}

export interface FaultRun {
  id: string;
  title: string;
  injection: string;
  load: SaleLoad;
  /** Requests k6 and the probe sent, by answer (HTTP status; 0 = no answer). */
  answers: Record<string, number>;
  requests: number;
  /** Seconds from the start of the load to the injection. */
  injectedAtSeconds: number;
  /** The machine's 1-minute load average when the fault was injected (its 2 cores are shared). */
  loadAverage: number;
  secondsUntilServed: number | null;
  /** The longest time after the injection that a shard with stock allocated nothing (ShardWatch). */
  longestShardStallSeconds: number;
  audit: AuditResult;
  notes: string[];
  logDir: string;
  measuredAt: string;
}

/**
 * How long purchase-api waits for the allocator's answer before a 202. Above its 2 s default: the
 * shared machine alone makes holds take seconds at times, and a 202 should mean the fault.
 */
export const REPLY_TIMEOUT_MS = 5_000;

export const defaultLoad: SaleLoad = {
  rate: 60,
  seconds: 40,
  capacity: 1_600,
  shards: 4,
  allocators: 2,
  buyers: 2_000,
  injectAfterSeconds: 8,
};

/**
 * One fault under load on the real platform (allocator processes, purchase-api and query-api over
 * PostgreSQL, Redis and Kafka): a fresh database and event, k6 selling it at a constant rate, a
 * probe buyer beside it, the fault injected mid-sale, then the audit. Stops every process it started.
 */
export async function runFault(
  fault: Fault,
  world: { settings: Settings; servers: FaultContext['servers']; logDir: string },
  loadOverride: Partial<SaleLoad> = {},
): Promise<FaultRun> {
  const load = { ...defaultLoad, ...fault.load, ...loadOverride };
  const { settings } = world;
  const run = newOrderId().slice(-12);
  const logDir = join(world.logDir, fault.id);
  mkdirSync(logDir, { recursive: true });
  const databaseUrl = await freshDatabase(settings, `faults_${run}`);
  const prefix = `faults-${run}`;
  const event = { namespace: 'faults', name: `${fault.id}-${run}`.slice(0, 60) };
  await provisionEvents(settings, databaseUrl, prefix, [
    { ...event, capacity: load.capacity, shards: load.shards, perBuyerLimit: 4 },
  ]);
  const service: ServiceOptions = { settings, databaseUrl, prefix, logDir };
  const pool = createPool(databaseUrl, 4);
  const processes: PlatformProcess[] = [];
  const notes: string[] = [];
  const eventId = (
    await pool.query<{ id: string }>('SELECT id FROM events WHERE namespace = $1 AND name = $2', [
      event.namespace,
      event.name,
    ])
  ).rows[0]!.id;
  let injectedAt: number | undefined;
  const ctx: FaultContext = {
    settings,
    pool,
    event,
    eventId,
    servers: world.servers,
    allocators: [],
    async startAllocator(name, env = {}, ready = true) {
      const allocator = await spawnAllocator(service, event, name, env, ready);
      processes.push(allocator);
      ctx.allocators.push(allocator);
      return allocator;
    },
    injected: (at = Date.now()) => void (injectedAt = at),
    note: (text) => void notes.push(text),
    logDir,
  };
  try {
    for (let i = 0; i < load.allocators; i++)
      await ctx.startAllocator(`allocator-${i}`, fault.allocatorEnv?.(i) ?? {});
    const purchasePort = await freePort();
    const purchase = startService(
      'purchase-api',
      'purchase-api',
      purchasePort,
      {
        ...serviceEnv(service, 'purchase-api'),
        PURCHASE_API_PORT: String(purchasePort),
        REPLY_TIMEOUT_MS: String(REPLY_TIMEOUT_MS),
      },
      logDir,
    );
    const query = await startQueryApi(service);
    processes.push(purchase, query);
    await allReady(processes);

    const tokens = await writeTokens(logDir, load.buyers);
    const probeTokens = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        signLocalToken({
          secret: loadTestSecret,
          issuer: 'boxoffice-local',
          audience: 'boxoffice',
          buyerId: `probe-${i}`,
          expiresIn: '3h',
        }),
      ),
    );
    const samples = join(logDir, 'samples.json');
    const started = Date.now();
    const k6 = runK6(
      settings.K6_BIN!,
      'faults/faults.js',
      {
        PURCHASE_URL: purchase.url,
        EVENT: `${event.namespace}/${event.name}`,
        TOKENS: tokens,
        RATE: String(load.rate),
        DURATION: `${load.seconds}s`,
      },
      join(logDir, 'summary.json'),
      { args: [`--out=json=${samples}`] },
    );
    const watch = new ShardWatch(pool, eventId);
    const probe = new Probe(`${purchase.url}/v1/events/${event.namespace}/${event.name}/orders`, probeTokens);
    await sleep(load.injectAfterSeconds * 1000);
    const injecting = Date.now();
    await fault.inject(ctx);
    injectedAt ??= injecting;
    const loadAverage = loadavg()[0]!;
    const k6Run = await k6;
    const loadEnded = Date.now();
    watch.stop();
    if (k6Run.code !== 0) notes.push(`k6 exited with ${k6Run.code}: ${k6Run.output.slice(-500)}`);
    await probe.stop();

    const { answers, accepted } = readSamples(samples);
    for (const a of probe.answers) {
      answers[String(a.status)] = (answers[String(a.status)] ?? 0) + 1;
      if ((a.status === 201 || a.status === 202) && a.orderId)
        accepted.push({ id: a.orderId, status: a.status });
    }
    const audit = await auditSale(pool, eventId, accepted);
    audit.violations.push(...((await fault.verify?.(ctx)) ?? []));
    return {
      id: fault.id,
      title: fault.title,
      injection: fault.injection,
      load,
      answers,
      requests: Object.values(answers).reduce((a, b) => a + b, 0),
      injectedAtSeconds: (injectedAt - started) / 1000,
      loadAverage,
      secondsUntilServed: secondsUntilServed(probe.answers, injectedAt) ?? null,
      longestShardStallSeconds: watch.longestStallSeconds(injectedAt, loadEnded),
      audit,
      notes,
      logDir,
      measuredAt: new Date().toISOString(),
    };
  } finally {
    for (const p of processes) if (p.child.signalCode === null) p.child.kill('SIGCONT');
    await stopAll(processes);
    await pool.end();
  }
}

async function spawnAllocator(
  service: ServiceOptions,
  event: EventKey,
  name: string,
  env: NodeJS.ProcessEnv,
  ready: boolean,
): Promise<PlatformProcess> {
  const port = await freePort();
  // application_name: the fault suite finds this allocator's PostgreSQL sessions by it.
  const databaseUrl = new URL(service.databaseUrl);
  databaseUrl.searchParams.set('application_name', name);
  const allocator = startService(
    name,
    'allocator',
    port,
    {
      ...serviceEnv({ ...service, databaseUrl: databaseUrl.toString() }, 'allocator'),
      EVENT_NAMESPACE: event.namespace,
      EVENT_NAME: event.name,
      PORT: String(port),
      ...env,
    },
    service.logDir,
  );
  if (ready) await waitReady(allocator, 120_000);
  return allocator;
}

/** k6's `--out json` points: answers by status, and the accepted orders' ids. */
function readSamples(file: string): { answers: Record<string, number>; accepted: AcceptedOrder[] } {
  const answers: Record<string, number> = {};
  const accepted: AcceptedOrder[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.includes('"Point"')) continue;
    const point = JSON.parse(line) as { metric: string; data: { tags: Record<string, string> } };
    const { tags } = point.data;
    if (point.metric === 'answers') answers[tags.status!] = (answers[tags.status!] ?? 0) + 1;
    else if (point.metric === 'accepted')
      accepted.push({ id: tags.id!, status: Number(tags.status) as 201 | 202 });
  }
  return { answers, accepted };
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newOrderId } from '@boxoffice/inventory';
import { createPool } from '@boxoffice/platform/postgres';
import { eventCounters, invariantViolations, type TicketTypeCounters } from '@boxoffice/store';
import type { Settings } from '../scripts/deps/env-file.ts';
import { answersByOutcome, sampleTimeline, type TimelinePoint } from './bench/timeline.ts';
import { count, runK6 } from './k6.ts';
import {
  allReady,
  freshDatabase,
  provisionEvents,
  startAllocator,
  startPurchaseApi,
  startQueryApi,
  writeTokens,
} from './platform.ts';
import { stopAll, type PlatformProcess } from './platform-processes.ts';

export interface FlashSaleOptions {
  settings: Settings;
  capacity: number;
  requests: number;
  buyers: number;
  shards: number;
  allocators: number;
  /** k6 virtual users sending the requests (default 64). */
  vus?: number;
  /** k6's limit for the whole sale (flash-sale.js: 5m); orders not sent by then are dropped. */
  maxDuration?: string;
  /** Run the services as `npm start` deploys them (platform.ts ServiceOptions.asDeployed). */
  asDeployed?: { otlpEndpoint: string };
  /** Send each buyer's own address as X-Forwarded-For, as an ingress does (with asDeployed). */
  forwarded?: boolean;
  /** Sample holds and answers every second while k6 runs (FlashSaleResult.timeline). */
  timeline?: boolean;
}

export interface FlashSaleResult {
  k6ExitCode: number;
  k6Summary: string;
  /** What k6 saw: 201, 202 (then held / rejected), 409. */
  answers: { held: number; pending: number; pendingHeld: number; pendingRejected: number; soldOut: number };
  /** Invariant violations in PostgreSQL plus answers that do not match the stored orders. */
  violations: string[];
  counters: TicketTypeCounters;
  /** Wall-clock time from the first request to the last answer. */
  seconds: number;
  /** From the first request until the last ticket was held (the last hold's created_at). */
  sellOutSeconds: number;
  /** Every POST …/orders answer as k6 timed it (ms). */
  orderLatency: { p50: number; p95: number; p99: number; max: number };
  /** Requests per second k6 sent (POST orders and the polls of 202 answers). */
  requestsPerSecond: number;
  timeline?: TimelinePoint[];
  logDir: string;
}

/**
 * One flash sale against the real purchase path: a fresh database and event, allocator processes,
 * purchase-api and query-api, k6 sending `requests` orders from `buyers` buyers for `capacity`
 * tickets; then the invariants checked in PostgreSQL. Stops every process it started.
 */
export async function runFlashSale(options: FlashSaleOptions): Promise<FlashSaleResult> {
  const { settings } = options;
  const run = newOrderId().slice(-12);
  const logDir = mkdtempSync(join(tmpdir(), 'boxoffice-flash-'));
  const databaseUrl = await freshDatabase(settings, `flash_${run}`);
  const prefix = `flash-${run}`;
  const event = { namespace: 'loadtest', name: `flash-${run}` };
  await provisionEvents(settings, databaseUrl, prefix, [
    { ...event, capacity: options.capacity, shards: options.shards, perBuyerLimit: 4 },
  ]);
  const service = { settings, databaseUrl, prefix, logDir, asDeployed: options.asDeployed };
  const processes: PlatformProcess[] = [];
  const pool = createPool(databaseUrl);
  try {
    for (let i = 0; i < options.allocators; i++)
      processes.push(await startAllocator(service, event, `allocator-${i}`));
    const purchase = await startPurchaseApi(service);
    const query = await startQueryApi(service);
    processes.push(purchase, query);
    await allReady(processes);

    const tokens = await writeTokens(logDir, options.buyers);
    const heldSoFar = async (): Promise<number> =>
      Number(
        (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE status = 'HELD'`)).rows[0]!
          .n,
      );
    const timeline = options.timeline
      ? sampleTimeline(async () => {
          const [held, metrics] = await Promise.all([
            heldSoFar(),
            fetch(`${purchase.url}/metrics`).then((r) => r.text()),
          ]);
          return { held, answers: answersByOutcome(metrics) };
        })
      : undefined;
    const started = Date.now();
    const k6 = await runK6(
      settings.K6_BIN!,
      'flash-sale.js',
      {
        PURCHASE_URL: purchase.url,
        QUERY_URL: query.url,
        EVENT: `${event.namespace}/${event.name}`,
        TOKENS: tokens,
        REQUESTS: String(options.requests),
        VUS: String(options.vus ?? 64),
        ...(options.maxDuration ? { MAX_DURATION: options.maxDuration } : {}),
        ...(options.forwarded ? { FORWARDED: '1' } : {}),
      },
      join(logDir, 'summary.json'),
    );
    const seconds = (Date.now() - started) / 1000;
    const points = await timeline?.stop();
    const lastHold = await pool.query<{ at: Date | null }>(
      `SELECT max(created_at) AS at FROM orders WHERE status IN ('HELD', 'CONFIRMED')`,
    );
    const latency = k6.metrics.order_latency ?? {};
    const answers = {
      held: count(k6.metrics, 'holds'),
      pending: count(k6.metrics, 'pending'),
      pendingHeld: count(k6.metrics, 'pending_then_held'),
      pendingRejected: count(k6.metrics, 'pending_then_rejected'),
      soldOut: count(k6.metrics, 'sold_out'),
    };
    const [counters] = await eventCounters(pool, event);
    const violations = [...(await invariantViolations(pool)), ...(await accounting(pool, answers))];
    if (counters!.held + counters!.sold !== counters!.capacity)
      violations.push(`held ${counters!.held} + sold ${counters!.sold} != capacity ${counters!.capacity}`);
    return {
      k6ExitCode: k6.code,
      k6Summary: k6.output,
      answers,
      violations,
      counters: counters!,
      seconds,
      sellOutSeconds: lastHold.rows[0]!.at ? (lastHold.rows[0]!.at.getTime() - started) / 1000 : seconds,
      orderLatency: {
        p50: latency.med ?? 0,
        p95: latency['p(95)'] ?? 0,
        p99: latency['p(99)'] ?? 0,
        max: latency.max ?? 0,
      },
      requestsPerSecond: k6.metrics.http_reqs?.rate ?? 0,
      ...(points ? { timeline: points } : {}),
      logDir,
    };
  } finally {
    await stopAll(processes);
    await pool.end();
  }
}

/**
 * Every answer matches PostgreSQL: each request answered 201 (or 202 and then held) is exactly one
 * active order, there is no active order nobody was told about, and no ticket code exists twice.
 */
async function accounting(
  pool: ReturnType<typeof createPool>,
  answers: FlashSaleResult['answers'],
): Promise<string[]> {
  const problems: string[] = [];
  const { rows } = await pool.query<{ active: string; quantity: string }>(
    `SELECT count(*) AS active, coalesce(sum(quantity), 0) AS quantity FROM orders WHERE status IN ('HELD', 'CONFIRMED')`,
  );
  const told = answers.held + answers.pendingHeld;
  if (Number(rows[0]!.active) !== told)
    problems.push(
      `${rows[0]!.active} active orders in PostgreSQL, but ${told} buyers were told they hold one`,
    );
  if (answers.pendingHeld + answers.pendingRejected !== answers.pending)
    problems.push(
      `${answers.pending} answers were 202, but only ${answers.pendingHeld + answers.pendingRejected} settled`,
    );
  const duplicates = await pool.query(`SELECT code FROM tickets GROUP BY code HAVING count(*) > 1`);
  if (duplicates.rowCount) problems.push(`${duplicates.rowCount} ticket codes issued twice`);
  return problems;
}

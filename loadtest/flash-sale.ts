import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newOrderId } from '@boxoffice/inventory';
import { createPool } from '@boxoffice/platform/postgres';
import { eventCounters, invariantViolations, type TicketTypeCounters } from '@boxoffice/store';
import type { Settings } from '../scripts/deps/env-file.ts';
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
  const service = { settings, databaseUrl, prefix, logDir };
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
      },
      join(logDir, 'summary.json'),
    );
    const seconds = (Date.now() - started) / 1000;
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

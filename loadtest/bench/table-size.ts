/**
 * The orders table at a given size, for "how cost grows": fills a database with orders of past
 * events (EXPIRED, so no counter or invariant covers them, as most orders of a long-running
 * installation are), and finds out from PostgreSQL's own plans whether any statement of the
 * services scans `orders` (auto_explain, sampled, into the server log).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type pg from 'pg';

/**
 * Adds orders until the table holds `total` rows, in chunks (one transaction each, so a chunk's
 * WAL and locks stay bounded). Ids are time-ordered like the services' UUIDv7s, so the primary key
 * grows at its right edge as it does in production; buyers and idempotency keys are spread.
 */
export async function fillOrders(
  pool: pg.Pool,
  eventId: string,
  total: number,
  chunk = 500_000,
): Promise<void> {
  const have = async (): Promise<number> =>
    Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM orders')).rows[0]!.n);
  for (let n = await have(); n < total; n += chunk) {
    const rows = Math.min(chunk, total - n);
    await pool.query(
      `INSERT INTO orders (id, event_id, buyer_id, ticket_type, quantity, idempotency_key, shard, status,
                           amount_minor, currency, created_at, expires_at, updated_at)
       SELECT (lpad(to_hex(i), 12, '0') || '7000800000000000' || lpad(to_hex(i % 65536), 4, '0'))::uuid,
              $1, 'past-buyer-' || (i * 7919 % 1000003), 'standard', 1, md5(i::text), i % 4, 'EXPIRED',
              5000, 'EUR', now() - interval '30 days', now() - interval '30 days', now() - interval '30 days'
       FROM generate_series($2::bigint, $3::bigint) AS i`,
      [eventId, n, n + rows - 1],
    );
  }
  await pool.query('ANALYZE orders');
}

/**
 * Makes every new session of `database` log the plan of a sample of its statements (auto_explain
 * ships with PostgreSQL; session_preload_libraries needs the superuser the bench connects as).
 */
export async function explainSampled(admin: pg.Pool, database: string, sampleRate = 0.02): Promise<void> {
  for (const setting of [
    `session_preload_libraries = 'auto_explain'`,
    `auto_explain.log_min_duration = 0`,
    `auto_explain.sample_rate = ${sampleRate}`,
    `auto_explain.log_nested_statements = on`,
  ])
    await admin.query(`ALTER DATABASE ${database} SET ${setting}`);
}

/** Where the server log ends now: plans logged after this offset belong to the next run. */
export function logOffset(logFile: string): number {
  try {
    return statSync(logFile).size;
  } catch {
    return 0;
  }
}

export interface PlanCensus {
  /** Plans auto_explain logged since the offset. */
  plans: number;
  /** Sequential scans by relation (a scan of `orders` would grow with the table). */
  seqScans: Record<string, number>;
}

/** Counts the plans logged since `offset` and the sequential scans in them, by relation. */
export function planCensus(logFile: string, offset: number): PlanCensus {
  const size = logOffset(logFile);
  if (size <= offset) return { plans: 0, seqScans: {} };
  const fd = openSync(logFile, 'r');
  const buffer = Buffer.alloc(size - offset);
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  return censusOf(buffer.toString('utf8'));
}

export function censusOf(log: string): PlanCensus {
  const seqScans: Record<string, number> = {};
  for (const match of log.matchAll(/Seq Scan on (\w+)/g))
    seqScans[match[1]!] = (seqScans[match[1]!] ?? 0) + 1;
  return { plans: log.match(/duration: [\d.]+ ms\s+plan:/g)?.length ?? 0, seqScans };
}

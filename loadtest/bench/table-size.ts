/**
 * The orders table at a given size, for "how cost grows": fills a database with orders of past
 * events (EXPIRED, so no counter or invariant covers them, as most orders of a long-running
 * installation are), and finds out from PostgreSQL's own plans whether any statement of the
 * services scans `orders` (auto_explain, sampled, into the server log).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type pg from 'pg';

/**
 * Adds orders until the table holds `total` rows, the way a bulk load (pg_restore) does it: the
 * secondary indexes and unique constraints are dropped first and built again afterwards (sorted
 * builds, far faster than 10 M random inserts into each), and foreign keys are not checked per
 * row (every row names the one past event). Ids are time-ordered like the services' UUIDv7s;
 * buyers and idempotency keys are spread. Only for a bench database of its own.
 */
export async function fillOrders(pool: pg.Pool, eventId: string, total: number): Promise<void> {
  const client = await pool.connect();
  try {
    const have = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM orders')).rows[0]!.n);
    if (have >= total) return;
    const { rows: indexes } = await client.query<{
      index: string;
      def: string;
      constraint: string | null;
      condef: string | null;
    }>(
      `SELECT i.indexrelid::regclass::text AS index, pg_get_indexdef(i.indexrelid) AS def,
              c.conname AS constraint, pg_get_constraintdef(c.oid) AS condef
       FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
       WHERE i.indrelid = 'orders'::regclass AND NOT i.indisprimary`,
    );
    await client.query('BEGIN');
    for (const ix of indexes)
      await client.query(
        ix.constraint ? `ALTER TABLE orders DROP CONSTRAINT ${ix.constraint}` : `DROP INDEX ${ix.index}`,
      );
    await client.query(`SET LOCAL session_replication_role = replica`);
    await client.query(
      `INSERT INTO orders (id, event_id, buyer_id, ticket_type, quantity, idempotency_key, shard, status,
                           amount_minor, currency, created_at, expires_at, updated_at)
       SELECT (lpad(to_hex(i), 12, '0') || '7000800000000000' || lpad(to_hex(i % 65536), 4, '0'))::uuid,
              $1, 'past-buyer-' || (i * 7919 % 1000003), 'standard', 1, md5(i::text), i % 4, 'EXPIRED',
              5000, 'EUR', now() - interval '30 days', now() - interval '30 days', now() - interval '30 days'
       FROM generate_series($2::bigint, $3::bigint) AS i`,
      [eventId, have, total - 1],
    );
    await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    for (const ix of indexes)
      await client.query(
        ix.constraint ? `ALTER TABLE orders ADD CONSTRAINT ${ix.constraint} ${ix.condef}` : ix.def,
      );
    await client.query('COMMIT');
    await client.query('ANALYZE orders');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
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
  /** The statements whose plan scanned `orders` (distinct, shortened). */
  ordersScannedBy: string[];
}

/** Counts the plans logged since `offset` and the sequential scans in them, by relation. */
export function planCensus(logFile: string, offset: number): PlanCensus {
  const size = logOffset(logFile);
  if (size <= offset) return { plans: 0, seqScans: {}, ordersScannedBy: [] };
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
  const ordersScannedBy = new Set<string>();
  const plans = log.split(/duration: [\d.]+ ms\s+plan:/).slice(1);
  for (const plan of plans) {
    for (const match of plan.matchAll(/Seq Scan on (\w+)/g))
      seqScans[match[1]!] = (seqScans[match[1]!] ?? 0) + 1;
    if (/Seq Scan on orders\b/.test(plan))
      ordersScannedBy.add((/Query Text: (.*)/.exec(plan)?.[1] ?? '?').replace(/\s+/g, ' ').slice(0, 120));
  }
  return { plans: plans.length, seqScans, ordersScannedBy: [...ordersScannedBy] };
}

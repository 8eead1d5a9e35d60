import { setTimeout as sleep } from 'node:timers/promises';
import { invariantViolations } from '@boxoffice/store';
import type pg from 'pg';

/** An order a buyer was told about: 201 (held at once) or 202 (pending, with this id). */
export interface AcceptedOrder {
  id: string;
  status: 201 | 202;
}

export interface AuditResult {
  /** Empty means every invariant held. */
  violations: string[];
  /** Orders by final state (HELD, REJECTED, …). */
  orders: Record<string, number>;
  /** Seconds after the load ended until every accepted order was final in PostgreSQL. */
  settledSeconds: number;
  /**
   * Active orders no buyer was told about: a command that reached Kafka although purchase-api
   * answered 503 (the broker went away before its acknowledgement) or k6 gave up waiting. Not a
   * violation: the hold is real, a retry with the same Idempotency-Key answers with it, and
   * otherwise it expires after the event's hold TTL.
   */
  untoldActive: number;
}

const FINAL = ['HELD', 'CONFIRMED', 'EXPIRED', 'RELEASED', 'REFUND_REQUIRED', 'REJECTED'];

/**
 * The brief's invariants after a fault: every shard's held + sold (+ remaining) within capacity and
 * equal to its HELD/CONFIRMED orders (`invariantViolations`), no ticket code twice, every request
 * answered 201 or 202 ends in a final state (waiting up to `settleTimeoutMs` for the allocators to
 * finish), and a 201 stays a hold: it never turns into a rejection or disappears.
 */
export async function auditSale(
  pool: pg.Pool,
  eventId: string,
  accepted: AcceptedOrder[],
  settleTimeoutMs = 120_000,
): Promise<AuditResult> {
  const started = Date.now();
  const ids = accepted.map((a) => a.id);
  let found = new Map<string, string>();
  for (;;) {
    const { rows } = await pool.query<{ id: string; status: string }>(
      'SELECT id, status FROM orders WHERE id = ANY($1::uuid[])',
      [ids],
    );
    found = new Map(rows.map((r) => [r.id, r.status]));
    if (found.size === new Set(ids).size || Date.now() - started > settleTimeoutMs) break;
    await sleep(500);
  }
  const settledSeconds = (Date.now() - started) / 1000;
  const violations = await invariantViolations(pool, { eventId });
  const missing = accepted.filter((a) => !FINAL.includes(found.get(a.id) ?? ''));
  if (missing.length > 0)
    violations.push(
      `${missing.length} accepted orders never reached a final state within ${settleTimeoutMs / 1000} s (e.g. ${missing[0]!.id}, answered ${missing[0]!.status})`,
    );
  const lostHolds = accepted.filter(
    (a) => a.status === 201 && found.has(a.id) && !['HELD', 'CONFIRMED'].includes(found.get(a.id)!),
  );
  if (lostHolds.length > 0)
    violations.push(
      `${lostHolds.length} orders answered 201 are not held (e.g. ${lostHolds[0]!.id}: ${found.get(lostHolds[0]!.id)})`,
    );
  const twice = await pool.query<{ code: string }>(
    `SELECT t.code FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.event_id = $1 GROUP BY t.code HAVING count(*) > 1`,
    [eventId],
  );
  if (twice.rowCount) violations.push(`${twice.rowCount} ticket codes issued twice`);
  const states = await pool.query<{ status: string; n: string }>(
    'SELECT status, count(*) AS n FROM orders WHERE event_id = $1 GROUP BY status ORDER BY status',
    [eventId],
  );
  const told = new Set(ids);
  const active = await pool.query<{ id: string }>(
    `SELECT id FROM orders WHERE event_id = $1 AND status IN ('HELD', 'CONFIRMED')`,
    [eventId],
  );
  return {
    violations,
    orders: Object.fromEntries(states.rows.map((r) => [r.status, Number(r.n)])),
    settledSeconds,
    untoldActive: active.rows.filter((r) => !told.has(r.id)).length,
  };
}

import type pg from 'pg';

/**
 * The brief's invariants, read from PostgreSQL (the source of truth): for every shard
 * held + sold <= capacity and the counters equal the HELD / CONFIRMED orders; tickets exist exactly
 * for confirmed orders; buyer counters match their orders and respect the limit; each offered
 * waiting-list entry is its own order. Empty means sound.
 * Used by tests, the load test and the operator's periodic audit of a live database, which checks one
 * event at a time (`eventId`): each query then reads only that event's rows, each in one pass.
 */
export async function invariantViolations(
  pool: pg.Pool,
  scope: { eventId?: string } = {},
): Promise<string[]> {
  const problems: string[] = [];
  const eventId = [scope.eventId ?? null];
  const shards = await pool.query<{
    event_id: string;
    shard: number;
    ticket_type: string;
    capacity: number;
    held: number;
    sold: number;
    orders_held: string;
    orders_sold: string;
  }>(
    `SELECT s.event_id, s.shard, s.ticket_type, s.capacity, s.held, s.sold,
            coalesce(o.held, 0) AS orders_held, coalesce(o.sold, 0) AS orders_sold
     FROM inventory_shards s
     LEFT JOIN (SELECT event_id, shard, ticket_type,
                       sum(quantity) FILTER (WHERE status = 'HELD') AS held,
                       sum(quantity) FILTER (WHERE status = 'CONFIRMED') AS sold
                FROM orders WHERE $1::bigint IS NULL OR event_id = $1
                GROUP BY event_id, shard, ticket_type) o USING (event_id, shard, ticket_type)
     WHERE $1::bigint IS NULL OR s.event_id = $1`,
    eventId,
  );
  for (const s of shards.rows) {
    if (s.held + s.sold > s.capacity || s.held < 0 || s.sold < 0)
      problems.push(
        `shard ${s.shard} ${s.ticket_type}: held ${s.held} + sold ${s.sold} > capacity ${s.capacity}`,
      );
    if (Number(s.orders_held) !== s.held)
      problems.push(
        `shard ${s.shard} ${s.ticket_type}: counter held ${s.held} != HELD orders ${s.orders_held}`,
      );
    if (Number(s.orders_sold) !== s.sold)
      problems.push(
        `shard ${s.shard} ${s.ticket_type}: counter sold ${s.sold} != CONFIRMED orders ${s.orders_sold}`,
      );
  }
  const tickets = await pool.query<{ order_id: string; n: string; quantity: number; status: string }>(
    // Only orders whose ticket count differs from the expected one come back (checked again below).
    `SELECT o.id AS order_id, count(t.code) AS n, o.quantity, o.status FROM orders o LEFT JOIN tickets t ON t.order_id = o.id
     WHERE $1::bigint IS NULL OR o.event_id = $1
     GROUP BY o.id HAVING count(t.code) <> CASE WHEN o.status = 'CONFIRMED' THEN o.quantity ELSE 0 END`,
    eventId,
  );
  for (const t of tickets.rows) {
    const expected = t.status === 'CONFIRMED' ? t.quantity : 0;
    if (Number(t.n) !== expected && !(t.status === 'REFUND_REQUIRED' && Number(t.n) === 0))
      problems.push(`order ${t.order_id} (${t.status}) has ${t.n} tickets, expected ${expected}`);
  }
  const buyers = await pool.query<{ buyer_id: string; quantity: number; active: string; limit: number }>(
    `SELECT b.buyer_id, b.quantity, e.per_buyer_limit AS limit,
            coalesce((SELECT sum(quantity) FROM orders o WHERE o.event_id = b.event_id AND o.buyer_id = b.buyer_id AND o.status IN ('HELD', 'CONFIRMED')), 0) AS active
     FROM buyer_quantities b JOIN events e ON e.id = b.event_id
     WHERE $1::bigint IS NULL OR b.event_id = $1`,
    eventId,
  );
  for (const b of buyers.rows) {
    if (Number(b.active) !== b.quantity)
      problems.push(`buyer ${b.buyer_id}: counter ${b.quantity} != active orders ${b.active}`);
    if (b.quantity > b.limit) problems.push(`buyer ${b.buyer_id}: ${b.quantity} over the limit ${b.limit}`);
  }
  // A waiting-list entry is offered as exactly one order, its own id, of its buyer, shard and
  // quantity; an entry that was not offered has none.
  const entries = await pool.query<{ id: string; status: string; order_id: string | null }>(
    `SELECT w.id, w.status, o.id AS order_id FROM waiting_list w LEFT JOIN orders o ON o.id = w.id
     WHERE ($1::bigint IS NULL OR w.event_id = $1)
       AND CASE WHEN w.status = 'OFFERED'
                THEN o.id IS NULL OR (o.event_id, o.buyer_id, o.shard, o.quantity) <> (w.event_id, w.buyer_id, w.shard, w.quantity)
                ELSE o.id IS NOT NULL END`,
    eventId,
  );
  for (const e of entries.rows)
    problems.push(
      e.status === 'OFFERED'
        ? `waiting-list entry ${e.id} is OFFERED but its order ${e.order_id ?? '(none)'} is not its hold`
        : `waiting-list entry ${e.id} is ${e.status} but has an order`,
    );
  return problems;
}

import type pg from 'pg';

/**
 * The brief's invariants, read from PostgreSQL (the source of truth): for every shard
 * held + sold <= capacity and the counters equal the HELD / CONFIRMED orders; tickets exist exactly
 * for confirmed orders; buyer counters match their orders and respect the limit. Empty means sound.
 * Used by tests, the load test and for audits of a live database.
 */
export async function invariantViolations(pool: pg.Pool): Promise<string[]> {
  const problems: string[] = [];
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
            coalesce((SELECT sum(quantity) FROM orders o WHERE o.event_id = s.event_id AND o.shard = s.shard AND o.ticket_type = s.ticket_type AND o.status = 'HELD'), 0) AS orders_held,
            coalesce((SELECT sum(quantity) FROM orders o WHERE o.event_id = s.event_id AND o.shard = s.shard AND o.ticket_type = s.ticket_type AND o.status = 'CONFIRMED'), 0) AS orders_sold
     FROM inventory_shards s`,
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
    `SELECT o.id AS order_id, count(t.code) AS n, o.quantity, o.status FROM orders o LEFT JOIN tickets t ON t.order_id = o.id GROUP BY o.id`,
  );
  for (const t of tickets.rows) {
    const expected = t.status === 'CONFIRMED' ? t.quantity : 0;
    if (Number(t.n) !== expected && !(t.status === 'REFUND_REQUIRED' && Number(t.n) === 0))
      problems.push(`order ${t.order_id} (${t.status}) has ${t.n} tickets, expected ${expected}`);
  }
  const buyers = await pool.query<{ buyer_id: string; quantity: number; active: string; limit: number }>(
    `SELECT b.buyer_id, b.quantity, e.per_buyer_limit AS limit,
            coalesce((SELECT sum(quantity) FROM orders o WHERE o.event_id = b.event_id AND o.buyer_id = b.buyer_id AND o.status IN ('HELD', 'CONFIRMED')), 0) AS active
     FROM buyer_quantities b JOIN events e ON e.id = b.event_id`,
  );
  for (const b of buyers.rows) {
    if (Number(b.active) !== b.quantity)
      problems.push(`buyer ${b.buyer_id}: counter ${b.quantity} != active orders ${b.active}`);
    if (b.quantity > b.limit) problems.push(`buyer ${b.buyer_id}: ${b.quantity} over the limit ${b.limit}`);
  }
  return problems;
}

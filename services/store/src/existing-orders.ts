import type pg from 'pg';
import type { OrderRow } from './order-row.ts';

/**
 * The orders a batch's commands may already have made: by order id (across events: an id taken by
 * another event's order is not this event's), and by buyer and Idempotency-Key within the event.
 * UNION ALL: an order found both ways is de-duplicated by the caller, not by sorting rows.
 *
 * `(SELECT $2::bigint)` hides the event id from the planner on purpose. As a value it is estimated
 * from the column's statistics, and an event that went on sale after the last ANALYZE of `orders`
 * (every new event, and autoanalyze waits for 10 % of the table to change) counts as about one row
 * however many orders it has by now: the planner then reads all of the event's orders and hashes
 * them against the keys, once per batch, so each batch costs more the more the sale has sold (the
 * bench measured 770 buffer reads per hold for it). Behind a sub-select it is a parameter, estimated
 * from the number of distinct events, and each key is an index probe (of the unique
 * (event_id, buyer_id, idempotency_key) index, or of the buyer's orders) whatever the statistics say.
 *
 * Not a named (prepared) statement: its generic plan, made while the table was small, scans.
 */
export const EXISTING_ORDERS_SQL = `SELECT * FROM orders WHERE id = ANY($1::uuid[])
 UNION ALL
 SELECT o.* FROM orders o JOIN unnest($3::text[], $4::text[]) AS k(buyer_id, idempotency_key)
   ON o.buyer_id = k.buyer_id AND o.idempotency_key = k.idempotency_key
 WHERE o.event_id = (SELECT $2::bigint)`;

export async function existingOrders(
  client: pg.ClientBase,
  eventId: string,
  orderIds: string[],
  keys: { buyerId: string; idempotencyKey: string }[],
): Promise<(OrderRow & { event_id: string })[]> {
  const result = await client.query<OrderRow & { event_id: string }>(EXISTING_ORDERS_SQL, [
    orderIds,
    eventId,
    keys.map((k) => k.buyerId),
    keys.map((k) => k.idempotencyKey),
  ]);
  return result.rows;
}

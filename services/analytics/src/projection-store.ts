import { orderEventId, salesDeltas, type OrderEvent } from '@boxoffice/inventory';
import { inTransaction } from '@boxoffice/store';
import type pg from 'pg';

/**
 * Adds a batch of order events to the sales projection in one transaction: first record their
 * identities (`sales_applied_events`, ON CONFLICT DO NOTHING), then add up only the ones that were
 * new. A redelivered batch, a duplicated message or a replay from offset 0 adds nothing, and two
 * consumers applying the same event at once (a rebalance) serialise on its primary key.
 * Returns how many events were new.
 */
export async function applySalesEvents(pool: pg.Pool, events: OrderEvent[]): Promise<number> {
  const unique = [...new Map(events.map((e) => [orderEventId(e), e])).values()];
  if (unique.length === 0) return 0;
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ order_id: string; kind: string }>(
      `INSERT INTO sales_applied_events (order_id, kind)
       SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT DO NOTHING RETURNING order_id, kind`,
      [unique.map((e) => e.orderId), unique.map((e) => e.kind)],
    );
    const fresh = new Set(
      rows.map((r) => orderEventId({ orderId: r.order_id, kind: r.kind as OrderEvent['kind'] })),
    );
    const { sales, rejections } = salesDeltas(unique.filter((e) => fresh.has(orderEventId(e))));
    if (sales.length > 0)
      await client.query(
        `INSERT INTO sales_by_minute AS s
           (namespace, name, ticket_type, channel, minute, currency,
            held, confirmed, expired, released, refund_required, tickets_sold, revenue_minor)
         SELECT * FROM json_to_recordset($1::json) AS d(
           namespace text, name text, "ticketType" text, channel text, minute timestamptz, currency text,
           held bigint, confirmed bigint, expired bigint, released bigint, "refundRequired" bigint,
           "ticketsSold" bigint, "revenueMinor" numeric)
         ON CONFLICT (namespace, name, minute, ticket_type, channel, currency) DO UPDATE SET
           held = s.held + EXCLUDED.held,
           confirmed = s.confirmed + EXCLUDED.confirmed,
           expired = s.expired + EXCLUDED.expired,
           released = s.released + EXCLUDED.released,
           refund_required = s.refund_required + EXCLUDED.refund_required,
           tickets_sold = s.tickets_sold + EXCLUDED.tickets_sold,
           revenue_minor = s.revenue_minor + EXCLUDED.revenue_minor`,
        [JSON.stringify(sales)],
      );
    if (rejections.length > 0)
      await client.query(
        `INSERT INTO sales_rejections_by_minute AS r (namespace, name, ticket_type, channel, minute, reason, orders)
         SELECT * FROM json_to_recordset($1::json) AS d(
           namespace text, name text, "ticketType" text, channel text, minute timestamptz, reason text, orders bigint)
         ON CONFLICT (namespace, name, minute, ticket_type, channel, reason) DO UPDATE SET
           orders = r.orders + EXCLUDED.orders`,
        [JSON.stringify(rejections)],
      );
    return fresh.size;
  });
}

/** Empties the projection, before a rebuild from the topic's beginning. */
export async function clearSalesProjection(pool: pg.Pool): Promise<void> {
  await pool.query('TRUNCATE sales_by_minute, sales_rejections_by_minute, sales_applied_events');
}

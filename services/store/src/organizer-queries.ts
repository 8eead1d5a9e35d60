import type { EventKey } from '@boxoffice/inventory';
import type pg from 'pg';

/** Reads for an event's organizer: the live summary, the projection's time series, the orders. */

export interface TicketTypeSales {
  ticketType: string;
  capacity: number;
  held: number;
  sold: number;
  remaining: number;
  revenueMinor: number;
  currency: string;
  /** Tickets admitted at the door (check-in). */
  checkedIn: number;
}

/** The live state per ticket type, from the shards and the orders (the source of truth, not the projection). */
export async function salesSummary(pool: pg.Pool, event: EventKey): Promise<TicketTypeSales[] | undefined> {
  const { rows } = await pool.query<{
    ticket_type: string;
    capacity: number;
    held: number;
    sold: number;
    currency: string;
    revenue_minor: string;
    checked_in: number;
  }>(
    `SELECT t.name AS ticket_type, t.currency,
            coalesce(sum(s.capacity), 0)::int AS capacity, coalesce(sum(s.held), 0)::int AS held,
            coalesce(sum(s.sold), 0)::int AS sold,
            (SELECT coalesce(sum(o.amount_minor), 0) FROM orders o
              WHERE o.event_id = e.id AND o.ticket_type = t.name AND o.status = 'CONFIRMED') AS revenue_minor,
            (SELECT count(*) FROM ticket_admissions a
              WHERE a.event_id = e.id AND a.ticket_type = t.name)::int AS checked_in
       FROM events e JOIN ticket_types t ON t.event_id = e.id
       LEFT JOIN inventory_shards s ON s.event_id = e.id AND s.ticket_type = t.name
      WHERE e.namespace = $1 AND e.name = $2 AND t.retired_at IS NULL
      GROUP BY e.id, t.name, t.currency ORDER BY t.name`,
    [event.namespace, event.name],
  );
  if (rows.length === 0) {
    const exists = await pool.query('SELECT 1 FROM events WHERE namespace = $1 AND name = $2', [
      event.namespace,
      event.name,
    ]);
    if (exists.rowCount === 0) return undefined;
  }
  return rows.map((r) => ({
    ticketType: r.ticket_type,
    capacity: r.capacity,
    held: r.held,
    sold: r.sold,
    remaining: r.capacity - r.held - r.sold,
    revenueMinor: Number(r.revenue_minor),
    currency: r.currency,
    checkedIn: r.checked_in,
  }));
}

export interface SalesMinute {
  minute: string;
  channel: string;
  ticketType: string;
  currency: string;
  held: number;
  confirmed: number;
  expired: number;
  released: number;
  ticketsSold: number;
  revenueMinor: number;
}

/** Sales per minute and channel from the analytics projection (as far as the consumer has read). */
export async function salesTimeSeries(
  pool: pg.Pool,
  event: EventKey,
  range: { from: Date; to: Date },
): Promise<SalesMinute[]> {
  const { rows } = await pool.query(
    `SELECT minute, channel, ticket_type, currency, held, confirmed, expired, released, tickets_sold, revenue_minor
       FROM sales_by_minute
      WHERE namespace = $1 AND name = $2 AND minute >= $3 AND minute < $4
      ORDER BY minute, channel, ticket_type, currency`,
    [event.namespace, event.name, range.from, range.to],
  );
  return rows.map((r) => ({
    minute: (r.minute as Date).toISOString(),
    channel: r.channel,
    ticketType: r.ticket_type,
    currency: r.currency,
    held: Number(r.held),
    confirmed: Number(r.confirmed),
    expired: Number(r.expired),
    released: Number(r.released),
    ticketsSold: Number(r.tickets_sold),
    revenueMinor: Number(r.revenue_minor),
  }));
}

export interface OrganizerOrder {
  id: string;
  buyerId: string;
  ticketType: string;
  quantity: number;
  status: string;
  channel: string;
  amountMinor: number;
  currency: string;
  createdAt: string;
  rejectReason?: string;
}

export interface OrderFilter {
  status?: string;
  ticketType?: string;
  channel?: string;
}

/** Where a page ends: the (created_at, id) of its last order; the next page starts after it. */
export interface OrderKey {
  createdAt: string;
  id: string;
}

/**
 * One page of an event's orders, newest first, keyset-paginated on (created_at, id) (the
 * `orders_by_event` index): a page costs the same wherever it is, and orders arriving meanwhile
 * neither repeat nor shift a page.
 */
export async function eventOrdersPage(
  pool: pg.Pool,
  event: EventKey,
  filter: OrderFilter,
  after: OrderKey | undefined,
  limit: number,
): Promise<OrganizerOrder[]> {
  const { rows } = await pool.query(
    `SELECT o.id, o.buyer_id, o.ticket_type, o.quantity, o.status, o.channel, o.amount_minor, o.currency,
            o.created_at, o.reject_reason
       FROM orders o JOIN events e ON e.id = o.event_id
      WHERE e.namespace = $1 AND e.name = $2
        AND ($3::text IS NULL OR o.status = $3) AND ($4::text IS NULL OR o.ticket_type = $4)
        AND ($5::text IS NULL OR o.channel = $5)
        AND ($6::timestamptz IS NULL OR (o.created_at, o.id) < ($6, $7::uuid))
      ORDER BY o.created_at DESC, o.id DESC LIMIT $8`,
    [
      event.namespace,
      event.name,
      filter.status ?? null,
      filter.ticketType ?? null,
      filter.channel ?? null,
      after?.createdAt ?? null,
      after?.id ?? null,
      limit,
    ],
  );
  return rows.map((r) => ({
    id: r.id,
    buyerId: r.buyer_id,
    ticketType: r.ticket_type,
    quantity: r.quantity,
    status: r.status,
    channel: r.channel,
    amountMinor: Number(r.amount_minor),
    currency: r.currency,
    createdAt: (r.created_at as Date).toISOString(),
    ...(r.reject_reason ? { rejectReason: r.reject_reason } : {}),
  }));
}

import type { EventKey, Order, Ticket } from '@boxoffice/inventory';
import type pg from 'pg';
import { orderFromRow, type OrderRow } from './order-row.ts';

export interface CatalogEvent {
  namespace: string;
  name: string;
  displayName: string;
  venue: string;
  startsAt: string;
  sales: { opensAt: string; closesAt: string; perBuyerLimit: number; holdTtlSeconds: number };
  shards: number;
  paused: boolean;
  closed: boolean;
  ticketTypes: {
    name: string;
    priceMinor: number;
    currency: string;
    capacity: number;
    held: number;
    sold: number;
    remaining: number;
  }[];
}

interface EventRowWithTypes {
  namespace: string;
  name: string;
  display_name: string;
  venue: string;
  starts_at: Date;
  sales_open_at: Date;
  sales_close_at: Date;
  per_buyer_limit: number;
  hold_ttl_seconds: number;
  shards: number;
  paused: boolean;
  closed_at: Date | null;
  ticket_types: {
    name: string;
    price_minor: number;
    currency: string;
    capacity: number;
    held: number;
    sold: number;
  }[];
}

const eventSelect = `
  SELECT e.namespace, e.name, e.display_name, e.venue, e.starts_at, e.sales_open_at, e.sales_close_at,
         e.per_buyer_limit, e.hold_ttl_seconds, e.shards, e.paused, e.closed_at,
         coalesce((SELECT json_agg(json_build_object('name', t.name, 'price_minor', t.price_minor, 'currency', t.currency,
                     'capacity', (SELECT coalesce(sum(s.capacity), 0) FROM inventory_shards s WHERE s.event_id = e.id AND s.ticket_type = t.name),
                     'held', (SELECT coalesce(sum(s.held), 0) FROM inventory_shards s WHERE s.event_id = e.id AND s.ticket_type = t.name),
                     'sold', (SELECT coalesce(sum(s.sold), 0) FROM inventory_shards s WHERE s.event_id = e.id AND s.ticket_type = t.name))
                   ORDER BY t.name) FROM ticket_types t WHERE t.event_id = e.id AND t.retired_at IS NULL), '[]') AS ticket_types
  FROM events e`;

const toCatalogEvent = (row: EventRowWithTypes): CatalogEvent => ({
  namespace: row.namespace,
  name: row.name,
  displayName: row.display_name,
  venue: row.venue,
  startsAt: row.starts_at.toISOString(),
  sales: {
    opensAt: row.sales_open_at.toISOString(),
    closesAt: row.sales_close_at.toISOString(),
    perBuyerLimit: row.per_buyer_limit,
    holdTtlSeconds: row.hold_ttl_seconds,
  },
  shards: row.shards,
  paused: row.paused,
  closed: row.closed_at !== null,
  ticketTypes: row.ticket_types.map((t) => ({
    name: t.name,
    priceMinor: Number(t.price_minor),
    currency: t.currency,
    capacity: Number(t.capacity),
    held: Number(t.held),
    sold: Number(t.sold),
    remaining: Number(t.capacity) - Number(t.held) - Number(t.sold),
  })),
});

export async function listEvents(
  pool: pg.Pool,
  options: { namespace?: string; limit: number },
): Promise<CatalogEvent[]> {
  const { rows } = await pool.query<EventRowWithTypes>(
    `${eventSelect} WHERE e.closed_at IS NULL AND ($1::text IS NULL OR e.namespace = $1) ORDER BY e.starts_at, e.namespace, e.name LIMIT $2`,
    [options.namespace ?? null, options.limit],
  );
  return rows.map(toCatalogEvent);
}

export async function findEvent(pool: pg.Pool, event: EventKey): Promise<CatalogEvent | undefined> {
  const { rows } = await pool.query<EventRowWithTypes>(
    `${eventSelect} WHERE e.namespace = $1 AND e.name = $2`,
    [event.namespace, event.name],
  );
  return rows[0] ? toCatalogEvent(rows[0]) : undefined;
}

/** Remaining stock per shard of each ticket type on sale: what the availability cache holds. */
export async function shardAvailability(pool: pg.Pool, event: EventKey): Promise<Map<string, number[]>> {
  const { rows } = await pool.query<{ ticket_type: string; shard: number; remaining: number }>(
    `SELECT s.ticket_type, s.shard, s.capacity - s.held - s.sold AS remaining
     FROM inventory_shards s JOIN events e ON e.id = s.event_id
     JOIN ticket_types t ON t.event_id = s.event_id AND t.name = s.ticket_type
     WHERE e.namespace = $1 AND e.name = $2 AND t.retired_at IS NULL ORDER BY s.ticket_type, s.shard`,
    [event.namespace, event.name],
  );
  const availability = new Map<string, number[]>();
  for (const row of rows) {
    const shards = availability.get(row.ticket_type) ?? [];
    shards[row.shard] = row.remaining;
    availability.set(row.ticket_type, shards);
  }
  return availability;
}

export interface StoredOrder extends Order {
  event: EventKey;
}

const orderSelect = `
  SELECT o.*, e.namespace, e.name AS event_name FROM orders o JOIN events e ON e.id = o.event_id`;

interface StoredOrderRow extends OrderRow {
  namespace: string;
  event_name: string;
}

const toStoredOrder = (row: StoredOrderRow): StoredOrder => ({
  ...orderFromRow(row),
  event: { namespace: row.namespace, name: row.event_name },
});

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findOrder(pool: pg.Pool, orderId: string): Promise<StoredOrder | undefined> {
  if (!uuidPattern.test(orderId)) return undefined;
  const { rows } = await pool.query<StoredOrderRow>(`${orderSelect} WHERE o.id = $1`, [orderId]);
  return rows[0] ? toStoredOrder(rows[0]) : undefined;
}

export async function findOrderByIdempotencyKey(
  pool: pg.Pool,
  event: EventKey,
  buyerId: string,
  key: string,
): Promise<StoredOrder | undefined> {
  const { rows } = await pool.query<StoredOrderRow>(
    `${orderSelect} WHERE e.namespace = $1 AND e.name = $2 AND o.buyer_id = $3 AND o.idempotency_key = $4`,
    [event.namespace, event.name, buyerId, key],
  );
  return rows[0] ? toStoredOrder(rows[0]) : undefined;
}

export async function buyerOrders(pool: pg.Pool, buyerId: string, limit: number): Promise<StoredOrder[]> {
  const { rows } = await pool.query<StoredOrderRow>(
    `${orderSelect} WHERE o.buyer_id = $1 ORDER BY o.created_at DESC LIMIT $2`,
    [buyerId, limit],
  );
  return rows.map(toStoredOrder);
}

export async function orderTickets(
  pool: pg.Pool,
  orderId: string,
): Promise<(Ticket & { issuedAt: string })[]> {
  const { rows } = await pool.query<{
    code: string;
    order_id: string;
    ticket_type: string;
    seq: number;
    issued_at: Date;
  }>('SELECT code, order_id, ticket_type, seq, issued_at FROM tickets WHERE order_id = $1 ORDER BY seq', [
    orderId,
  ]);
  return rows.map((r) => ({
    code: r.code,
    orderId: r.order_id,
    ticketType: r.ticket_type,
    seq: r.seq,
    issuedAt: r.issued_at.toISOString(),
  }));
}

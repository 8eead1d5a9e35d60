import type { EventKey } from '@boxoffice/inventory';
import type pg from 'pg';

/**
 * What an SRE watches of the sales, read from PostgreSQL (the source of truth) by the operator's sale
 * observer: shard counters, how long each sold-out type took, holds past their expiry. Every query
 * covers the events on sale (not closed), optionally of one namespace, and is cheap: shard rows, and
 * the partial indexes of HELD orders.
 */

export interface ObservedEvent extends EventKey {
  id: string;
}

export interface ShardCounters {
  event: EventKey;
  ticketType: string;
  shard: number;
  capacity: number;
  held: number;
  sold: number;
}

export interface SellOut {
  event: EventKey;
  ticketType: string;
  /** From the sale's opening to the hold that took the last ticket. */
  seconds: number;
}

export interface OverdueHolds {
  event: EventKey;
  count: number;
  /** How long the oldest overdue hold is past its expiry. */
  oldestSeconds: number;
}

const onSale = `e.closed_at IS NULL AND ($1::text IS NULL OR e.namespace = $1)`;

export async function eventsOnSale(pool: pg.Pool, namespace?: string): Promise<ObservedEvent[]> {
  const { rows } = await pool.query<{ id: string; namespace: string; name: string }>(
    `SELECT e.id, e.namespace, e.name FROM events e WHERE ${onSale} ORDER BY e.namespace, e.name`,
    [namespace ?? null],
  );
  return rows.map((r) => ({ id: String(r.id), namespace: r.namespace, name: r.name }));
}

/** Counters of every shard of every ticket type on sale (retired types left out). */
export async function shardCounters(pool: pg.Pool, namespace?: string): Promise<ShardCounters[]> {
  const { rows } = await pool.query<{
    namespace: string;
    name: string;
    ticket_type: string;
    shard: number;
    capacity: number;
    held: number;
    sold: number;
  }>(
    `SELECT e.namespace, e.name, s.ticket_type, s.shard, s.capacity, s.held, s.sold
     FROM inventory_shards s JOIN events e ON e.id = s.event_id
     JOIN ticket_types t ON t.event_id = s.event_id AND t.name = s.ticket_type
     WHERE ${onSale} AND t.retired_at IS NULL
     ORDER BY e.namespace, e.name, s.ticket_type, s.shard`,
    [namespace ?? null],
  );
  return rows.map((r) => ({
    event: { namespace: r.namespace, name: r.name },
    ticketType: r.ticket_type,
    shard: r.shard,
    capacity: r.capacity,
    held: r.held,
    sold: r.sold,
  }));
}

/**
 * Ticket types sold out right now (nothing remaining on any shard, capacity above zero), with the
 * time from the sale's opening to the newest active order, the one that took the last ticket. A
 * type that gets tickets back (an expiry, a release) is not sold out until it sells out again.
 */
export async function sellOuts(pool: pg.Pool, namespace?: string): Promise<SellOut[]> {
  const { rows } = await pool.query<{
    namespace: string;
    name: string;
    ticket_type: string;
    seconds: number;
  }>(
    `SELECT e.namespace, e.name, s.ticket_type,
            extract(epoch FROM (SELECT max(o.created_at) FROM orders o
                                WHERE o.event_id = e.id AND o.ticket_type = s.ticket_type
                                  AND o.status IN ('HELD', 'CONFIRMED')) - e.sales_open_at)::float8 AS seconds
     FROM inventory_shards s JOIN events e ON e.id = s.event_id
     JOIN ticket_types t ON t.event_id = s.event_id AND t.name = s.ticket_type
     WHERE ${onSale} AND t.retired_at IS NULL
     GROUP BY e.id, e.namespace, e.name, e.sales_open_at, s.ticket_type
     HAVING sum(s.capacity) > 0 AND sum(s.capacity - s.held - s.sold) = 0`,
    [namespace ?? null],
  );
  return rows.flatMap((r) =>
    r.seconds === null
      ? []
      : [{ event: { namespace: r.namespace, name: r.name }, ticketType: r.ticket_type, seconds: r.seconds }],
  );
}

/** HELD orders whose expiry has passed, per event (the `orders_held_by_expiry` index serves it). */
export async function overdueHolds(pool: pg.Pool, namespace?: string): Promise<OverdueHolds[]> {
  const { rows } = await pool.query<{ namespace: string; name: string; count: string; oldest: number }>(
    `SELECT e.namespace, e.name, count(*) AS count, extract(epoch FROM now() - min(o.expires_at))::float8 AS oldest
     FROM orders o JOIN events e ON e.id = o.event_id
     WHERE o.status = 'HELD' AND o.expires_at < now() AND ${onSale}
     GROUP BY e.namespace, e.name`,
    [namespace ?? null],
  );
  return rows.map((r) => ({
    event: { namespace: r.namespace, name: r.name },
    count: Number(r.count),
    oldestSeconds: r.oldest,
  }));
}

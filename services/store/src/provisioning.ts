import { resizeShards, type EventDefinition, type EventKey } from '@boxoffice/inventory';
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { allocatorGroupId, eventTopic } from './naming.ts';
import { ensureTopic } from './topics.ts';
import { inTransaction } from './transaction.ts';

export interface ProvisionDeps {
  pool: pg.Pool;
  admin: Admin;
  /** How the event's topic is ensured; default `ensureTopic` (the operator batches many events' topics). */
  ensureTopic?: (topic: string, partitions: number) => Promise<void>;
}

export class ShardsDecreaseError extends Error {
  override name = 'ShardsDecreaseError';
}

/** A ticket type left out of the spec while some of its tickets are held or sold. */
export class TicketTypeInUseError extends Error {
  override name = 'TicketTypeInUseError';
  readonly ticketType: string;
  readonly held: number;
  readonly sold: number;

  constructor(ticketType: string, held: number, sold: number) {
    super(
      `ticket type ${ticketType} cannot be removed: ${held} held and ${sold} sold; keep it in spec.ticketTypes ` +
        `(its capacity may go down to ${held + sold})`,
    );
    this.ticketType = ticketType;
    this.held = held;
    this.sold = sold;
  }
}

/**
 * Creates or updates everything the purchase path needs for an event: its purchase topic with one
 * partition per shard, the catalog rows and the inventory shard rows. Idempotent: a second call
 * with the same definition writes nothing. Capacity increases are spread over the shards; a
 * capacity below what is held or sold is refused with CapacityBelowAllocatedError and nothing
 * changes. A ticket type missing from the definition is retired (off sale, its rows kept for its
 * orders), or, while any of its tickets are held or sold, refused with TicketTypeInUseError and
 * nothing changes. Called by the operator and by tests.
 */
export async function provisionEvent(
  deps: ProvisionDeps,
  definition: EventDefinition,
): Promise<{ eventId: number }> {
  const ensure = deps.ensureTopic ?? ((topic, partitions) => ensureTopic(deps.admin, topic, partitions));
  await ensure(eventTopic(definition), definition.shards);
  return inTransaction(deps.pool, async (client) => {
    const current = await client.query<{ id: string; shards: number }>(
      // NO KEY UPDATE serializes provisioners but lets an allocator's batch insert orders meanwhile
      // (its foreign key takes KEY SHARE on this row): FOR UPDATE here, then waiting for the shard
      // rows that batch holds, was a deadlock between a reconcile and a sale.
      'SELECT id, shards FROM events WHERE namespace = $1 AND name = $2 FOR NO KEY UPDATE',
      [definition.namespace, definition.name],
    );
    if (current.rows[0] && current.rows[0].shards > definition.shards) {
      throw new ShardsDecreaseError(
        `shards cannot decrease from ${current.rows[0].shards} to ${definition.shards}`,
      );
    }
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO events (namespace, name, display_name, venue, starts_at, sales_open_at, sales_close_at,
                           per_buyer_limit, hold_ttl_seconds, shards, paused)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (namespace, name) DO UPDATE SET
         display_name = EXCLUDED.display_name, venue = EXCLUDED.venue, starts_at = EXCLUDED.starts_at,
         sales_open_at = EXCLUDED.sales_open_at, sales_close_at = EXCLUDED.sales_close_at,
         per_buyer_limit = EXCLUDED.per_buyer_limit, hold_ttl_seconds = EXCLUDED.hold_ttl_seconds,
         shards = EXCLUDED.shards, paused = EXCLUDED.paused, closed_at = NULL, updated_at = now()
       WHERE (events.display_name, events.venue, events.starts_at, events.sales_open_at, events.sales_close_at,
              events.per_buyer_limit, events.hold_ttl_seconds, events.shards, events.paused, events.closed_at)
         IS DISTINCT FROM (EXCLUDED.display_name, EXCLUDED.venue, EXCLUDED.starts_at, EXCLUDED.sales_open_at,
              EXCLUDED.sales_close_at, EXCLUDED.per_buyer_limit, EXCLUDED.hold_ttl_seconds, EXCLUDED.shards,
              EXCLUDED.paused, NULL::timestamptz)
       RETURNING id`,
      [
        definition.namespace,
        definition.name,
        definition.displayName,
        definition.venue,
        definition.startsAt,
        definition.sales.opensAt,
        definition.sales.closesAt,
        definition.sales.perBuyerLimit,
        definition.sales.holdTtlSeconds,
        definition.shards,
        definition.paused,
      ],
    );
    const eventId = Number(rows[0]?.id ?? current.rows[0]!.id);
    for (const type of definition.ticketTypes) {
      await client.query(
        `INSERT INTO ticket_types (event_id, name, price_minor, currency, capacity) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (event_id, name) DO UPDATE SET price_minor = EXCLUDED.price_minor, currency = EXCLUDED.currency,
           capacity = EXCLUDED.capacity, retired_at = NULL
         WHERE (ticket_types.price_minor, ticket_types.currency, ticket_types.capacity, ticket_types.retired_at)
           IS DISTINCT FROM (EXCLUDED.price_minor, EXCLUDED.currency, EXCLUDED.capacity, NULL::timestamptz)`,
        [eventId, type.name, type.priceMinor, type.currency, type.capacity],
      );
      await resizeTicketType(client, eventId, type.name, type.capacity, definition.shards);
    }
    await retireRemovedTicketTypes(
      client,
      eventId,
      definition.ticketTypes.map((t) => t.name),
    );
    return { eventId };
  });
}

/**
 * Shard rows of one ticket type, locked, resized only when the total or the shard count changed
 * (a resync with the same definition must not move stock between shards).
 */
async function resizeTicketType(
  client: pg.PoolClient,
  eventId: number,
  ticketType: string,
  capacity: number,
  shards: number,
): Promise<void> {
  const { rows } = await client.query<{ shard: number; capacity: number; allocated: number }>(
    `SELECT shard, capacity, held + sold AS allocated FROM inventory_shards
     WHERE event_id = $1 AND ticket_type = $2 ORDER BY shard FOR UPDATE`,
    [eventId, ticketType],
  );
  const total = rows.reduce((sum, row) => sum + row.capacity, 0);
  if (rows.length === shards && total === capacity) return;
  const current = Array.from({ length: rows.length }, (_, shard) => ({
    allocated: rows.find((r) => r.shard === shard)?.allocated ?? 0,
  }));
  const capacities = resizeShards(current, capacity, shards);
  await client.query(
    `INSERT INTO inventory_shards (event_id, shard, ticket_type, capacity)
     SELECT $1, shard - 1, $2, capacity FROM unnest($3::int[]) WITH ORDINALITY AS c(capacity, shard)
     ON CONFLICT (event_id, shard, ticket_type) DO UPDATE SET capacity = EXCLUDED.capacity`,
    [eventId, ticketType, capacities],
  );
}

/**
 * Takes ticket types that left the spec off sale: retired (the catalog, availability and the
 * allocator's price list leave them out, so a purchase still in flight is REJECTED) and their shard
 * rows emptied of capacity. Rows are kept: orders of the type refer to them, and a late payment for
 * one of its expired holds still needs its counters. The shard rows are locked first, so no
 * allocator batch can hold a seat between the check and the retirement.
 */
async function retireRemovedTicketTypes(
  client: pg.PoolClient,
  eventId: number,
  kept: string[],
): Promise<void> {
  const { rows } = await client.query<{ ticket_type: string; held: number; sold: number }>(
    `SELECT s.ticket_type, s.held, s.sold FROM inventory_shards s
     JOIN ticket_types t ON t.event_id = s.event_id AND t.name = s.ticket_type
     WHERE s.event_id = $1 AND t.retired_at IS NULL AND NOT (s.ticket_type = ANY($2::text[]))
     ORDER BY s.ticket_type, s.shard FOR UPDATE OF s`,
    [eventId, kept],
  );
  if (rows.length === 0) return;
  const removed = [...Map.groupBy(rows, (row) => row.ticket_type)].map(([ticketType, shards]) => ({
    ticketType,
    held: shards.reduce((sum, s) => sum + s.held, 0),
    sold: shards.reduce((sum, s) => sum + s.sold, 0),
  }));
  const inUse = removed.find((type) => type.held + type.sold > 0);
  if (inUse) throw new TicketTypeInUseError(inUse.ticketType, inUse.held, inUse.sold);
  const names = removed.map((type) => type.ticketType);
  await client.query(
    'UPDATE ticket_types SET retired_at = now() WHERE event_id = $1 AND name = ANY($2::text[])',
    [eventId, names],
  );
  await client.query(
    'UPDATE inventory_shards SET capacity = 0 WHERE event_id = $1 AND ticket_type = ANY($2::text[])',
    [eventId, names],
  );
}

export interface TicketTypeCounters {
  ticketType: string;
  capacity: number;
  held: number;
  sold: number;
  remaining: number;
}

/**
 * Counters of an event per ticket type on sale (not retired), summed over its shards (what
 * TicketEvent status shows).
 */
export async function eventCounters(pool: pg.Pool, event: EventKey): Promise<TicketTypeCounters[]> {
  const { rows } = await pool.query<{ ticket_type: string; capacity: string; held: string; sold: string }>(
    `SELECT s.ticket_type, sum(s.capacity) AS capacity, sum(s.held) AS held, sum(s.sold) AS sold
     FROM inventory_shards s JOIN events e ON e.id = s.event_id
     JOIN ticket_types t ON t.event_id = s.event_id AND t.name = s.ticket_type
     WHERE e.namespace = $1 AND e.name = $2 AND t.retired_at IS NULL
     GROUP BY s.ticket_type ORDER BY s.ticket_type`,
    [event.namespace, event.name],
  );
  return rows.map((row) => {
    const [capacity, held, sold] = [Number(row.capacity), Number(row.held), Number(row.sold)];
    return { ticketType: row.ticket_type, capacity, held, sold, remaining: capacity - held - sold };
  });
}

/**
 * Stops sales of an event (orders and tickets are kept forever). With `deleteTopic`, deletes its
 * purchase topic, but only when nothing is in flight: no unpaid holds and no unconsumed messages.
 */
export async function closeEvent(
  deps: ProvisionDeps,
  event: EventKey,
  options: { deleteTopic: boolean },
): Promise<{ topicDeleted: boolean }> {
  await deps.pool.query(
    'UPDATE events SET closed_at = coalesce(closed_at, now()), updated_at = now() WHERE namespace = $1 AND name = $2',
    [event.namespace, event.name],
  );
  if (!options.deleteTopic) return { topicDeleted: false };
  const topic = eventTopic(event);
  if (!(await deps.admin.listTopics()).includes(topic)) return { topicDeleted: true };
  const { rows } = await deps.pool.query<{ held: string }>(
    `SELECT count(*) AS held FROM orders o JOIN events e ON e.id = o.event_id
     WHERE e.namespace = $1 AND e.name = $2 AND o.status = 'HELD'`,
    [event.namespace, event.name],
  );
  if (Number(rows[0]!.held) > 0 || (await unconsumed(deps.admin, topic, allocatorGroupId(event))) > 0)
    return { topicDeleted: false };
  await deps.admin.deleteTopics({ topics: [topic] });
  return { topicDeleted: true };
}

async function unconsumed(admin: Admin, topic: string, groupId: string): Promise<number> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  return ends.reduce((lag, p) => {
    const end = Number(p.high);
    const at = done.get(p.partition) ?? -1;
    return lag + (at < 0 ? end - Number(p.low) : end - at);
  }, 0);
}

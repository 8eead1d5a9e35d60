import {
  applyBatch,
  idempotencyIndexKey,
  mayForward,
  newTicketCode,
  settleBatch,
  type Counter,
  type EventKey,
  type Order,
  type Outcome,
  type PurchaseRequested,
  type ShardCommand,
  type ShardState,
  type WaitingEntry,
  waitingBuyerKey,
} from '@boxoffice/inventory';
import type pg from 'pg';
import { existingOrders } from './existing-orders.ts';
import { orderFromRow } from './order-row.ts';
import {
  insertNewOrders,
  writeBuyerQuantities,
  writeCounters,
  writeOrders,
  writeProviderEvents,
  writeTickets,
} from './shard-writes.ts';
import { classified } from './store-failures.ts';
import { inTransaction } from './transaction.ts';
import { entryFromRow, shardWaitingLists, writeEntries, type WaitingRow } from './waiting-list-rows.ts';

/** At most this many waiting entries per ticket type are considered by one batch (shardWaitingLists). */
const WAITING_ENTRIES_PER_BATCH = 500;

export interface ShardBatchResult {
  outcomes: Outcome[];
  /**
   * Requests this shard could not serve while other shards still have stock: to be produced to
   * those shards' partitions (before this batch's offsets are committed).
   */
  forwards: { shard: number; command: PurchaseRequested }[];
  /** Holds offered to waiting buyers (seats freed by the batch, in order of joining). */
  offers: Order[];
  /** Requests that got no hold anywhere; recorded as REJECTED orders. */
  rejected: Order[];
  /** Commands (by index) that can never apply: to be dead-lettered with the reason. */
  deadLetters: { index: number; reason: string }[];
  /** The shard's counters after the batch, per ticket type (for the availability cache). */
  counters: Map<string, Counter>;
}

export class UnknownEventError extends Error {
  override name = 'UnknownEventError';
}

interface EventRow {
  id: string;
  per_buyer_limit: number;
  hold_ttl_seconds: number;
}

/**
 * Applies one partition batch to its shard in ONE transaction: lock the shard's rows, load what the
 * commands refer to, let the domain decide, write orders, tickets, counters and buyer quantities,
 * commit. The shard-row lock serialises any second writer (a zombie allocator after a rebalance),
 * and state is read after the lock, so a stale consumer sees the first one's writes and its
 * redelivered commands become duplicates. The CHECK constraints are the last line of defence.
 *
 * What the batch decides, the domain decides (`applyBatch`, then `settleBatch` for what it did not
 * apply); this function loads and persists. It fails only with a `TransientStoreError` (retry the
 * same commands) or a `RefusedByStoreError` (the database refused something the commands ask).
 */
export async function applyShardBatch(
  pool: pg.Pool,
  event: EventKey,
  shard: number,
  commands: ShardCommand[],
  now: Date,
  options: { random?: () => number } = {},
): Promise<ShardBatchResult> {
  return classified(() =>
    inTransaction(pool, (client) => applyInTransaction(client, event, shard, commands, now, options)),
  );
}

async function applyInTransaction(
  client: pg.PoolClient,
  event: EventKey,
  shard: number,
  commands: ShardCommand[],
  now: Date,
  options: { random?: () => number },
): Promise<ShardBatchResult> {
  const eventRow = (
    await client.query<EventRow>(
      'SELECT id, per_buyer_limit, hold_ttl_seconds FROM events WHERE namespace = $1 AND name = $2',
      [event.namespace, event.name],
    )
  ).rows[0];
  if (!eventRow) throw new UnknownEventError(`event ${event.namespace}/${event.name} is not provisioned`);
  const eventId = eventRow.id;

  const counters = new Map<string, Counter>();
  const shardRows = await client.query<{ ticket_type: string } & Counter>(
    'SELECT ticket_type, capacity, held, sold FROM inventory_shards WHERE event_id = $1 AND shard = $2 ORDER BY ticket_type FOR UPDATE',
    [eventId, shard],
  );
  for (const row of shardRows.rows)
    counters.set(row.ticket_type, { capacity: row.capacity, held: row.held, sold: row.sold });

  const purchases = commands.filter((c) => c.kind === 'purchase.requested');

  // The shard's waiting lists, read only when the batch can free seats or change a list (never on
  // the purchase-only path of a flash sale). Only this shard's writer changes them, under the lock
  // we hold, so they need no lock of their own; their buyers are locked with the others below.
  const waiting = mayServe(commands)
    ? await shardWaitingLists(
        client,
        eventId,
        shard,
        Math.max(0, ...[...counters.values()].map((c) => c.capacity - c.held - c.sold)) +
          eventRow.per_buyer_limit * commands.filter((c) => c.kind !== 'purchase.requested').length,
        WAITING_ENTRIES_PER_BATCH,
      )
    : { lists: new Map<string, WaitingEntry[]>(), cut: new Set<string>() };
  const listed = commands.filter((c) => c.kind === 'waiting-list.join' || c.kind === 'waiting-list.leave');
  const buyerRows = await lockBuyers(
    client,
    eventId,
    [
      ...purchases.map((p) => p.buyerId),
      ...listed.map((c) => c.buyerId),
      ...[...waiting.lists.values()].flat().map((e) => e.buyerId),
    ],
    commands,
  );
  // Read only now, under the buyers' locks: a writer of another shard holding one of these
  // purchases (the same purchase forwarded twice) has committed by now, so its order is seen here
  // and the purchase is a duplicate, not a second hold.
  const orderRows = await existingOrders(
    client,
    eventId,
    commands.map((c) => c.orderId),
    purchases,
  );
  const own = orderRows.filter((row) => String(row.event_id) === eventId);
  const orders = new Map(own.map((row) => [row.id, orderFromRow(row)]));
  const foreignOrderIds = new Set(
    orderRows.filter((row) => String(row.event_id) !== eventId).map((row) => row.id),
  );

  const providerIds = commands.flatMap((c) =>
    c.kind === 'payment.confirmed' || c.kind === 'payment.failed' ? [c.providerEventId] : [],
  );
  const processed =
    providerIds.length === 0
      ? []
      : (
          await client.query<{ provider_event_id: string }>(
            'SELECT provider_event_id FROM provider_events WHERE provider_event_id = ANY($1::text[])',
            [providerIds],
          )
        ).rows;
  const ticketTypes = await client.query<{
    name: string;
    price_minor: string;
    currency: string;
    retired: boolean;
  }>(
    'SELECT name, price_minor, currency, retired_at IS NOT NULL AS retired FROM ticket_types WHERE event_id = $1',
    [eventId],
  );
  // A retired ticket type (removed from the spec) has no price: not on sale, so REJECTED.
  const prices = ticketTypes.rows.filter((row) => !row.retired);
  const retiredTicketTypes = new Set(ticketTypes.rows.filter((row) => row.retired).map((row) => row.name));

  const joins = commands.filter((c) => c.kind === 'waiting-list.join');
  // Under the buyers' locks: a join of the same buyer applied by another shard has committed by now.
  const namedEntries =
    listed.length === 0
      ? []
      : (
          await client.query<WaitingRow>(
            `SELECT * FROM waiting_list WHERE id = ANY($1::uuid[])
             UNION ALL
             SELECT * FROM waiting_list WHERE event_id = $2 AND status = 'WAITING' AND buyer_id = ANY($3::text[])`,
            [listed.map((c) => c.orderId), eventId, joins.map((j) => j.buyerId)],
          )
        ).rows.map(entryFromRow);
  const lastWaitingSeq =
    joins.length === 0
      ? 0
      : Number(
          (
            await client.query<{ seq: string }>(
              'SELECT coalesce(max(seq), 0) AS seq FROM waiting_list WHERE event_id = $1 AND shard = $2',
              [eventId, shard],
            )
          ).rows[0]!.seq,
        );

  const state: ShardState = {
    counters,
    orders,
    idempotency: new Map(
      [...orders.values()].map((o) => [idempotencyIndexKey(o.buyerId, o.idempotencyKey), o.id]),
    ),
    buyerQuantities: new Map(buyerRows.map((row) => [row.buyer_id, row.quantity])),
    processedPayments: new Set(processed.map((row) => row.provider_event_id)),
    foreignOrderIds,
    waiting: waiting.lists,
    waitingCut: waiting.cut,
    entries: new Map(
      namedEntries.filter((e) => listed.some((c) => c.orderId === e.id)).map((e) => [e.id, e]),
    ),
    waitingBuyers: new Set(
      namedEntries.filter((e) => e.status === 'WAITING').map((e) => waitingBuyerKey(e.ticketType, e.buyerId)),
    ),
    lastWaitingSeq,
  };
  const ctx = {
    shard,
    now,
    holdTtlSeconds: eventRow.hold_ttl_seconds,
    perBuyerLimit: eventRow.per_buyer_limit,
    prices: new Map(
      prices.map((row) => [row.name, { priceMinor: Number(row.price_minor), currency: row.currency }]),
    ),
    newTicketCode,
  };
  const result = applyBatch(state, commands, ctx);
  const settlement = settleBatch(commands, result, {
    ...ctx,
    stock: result.outcomes.some(mayForward) ? await stockByTicketType(client, eventId) : undefined,
    random: options.random ?? Math.random,
    retiredTicketTypes,
  });

  await writeOrders(client, eventId, [...result.changedOrders, ...settlement.rejected]);
  await writeEntries(client, eventId, result.changedEntries);
  await writeTickets(client, result.tickets);
  await writeCounters(client, eventId, shard, counters, result.state.counters);
  await writeBuyerQuantities(client, eventId, state.buyerQuantities, result.state.buyerQuantities);
  await writeProviderEvents(client, newProviderEvents(commands, result.outcomes, state, result.state));
  return {
    outcomes: result.outcomes,
    offers: result.offers,
    counters: result.state.counters,
    forwards: settlement.forwards,
    rejected: settlement.rejected,
    deadLetters: settlement.deadLetters,
  };
}

/**
 * Locks the buyer rows the batch may change (creating missing ones at 0) and returns them: the
 * buyers of the purchases, of the waiting-list commands and of the waiting entries the batch may
 * serve, and the buyers of this event's orders the commands name. Taken BEFORE the
 * orders are read, because the shard-row lock serialises only the writers of one shard: the same
 * purchase applied on two shards at once is serialised by its buyer's row instead, and the writer
 * that waited then reads the other's committed order (READ COMMITTED: each statement sees what was
 * committed before it started).
 *
 * The orders' buyers come from a pre-read inside the same statement, safe because an order's buyer
 * never changes. An order that appears only after it (a concurrent writer's) is another shard's or
 * a REJECTED one: this shard's HELD and CONFIRMED orders are written under the shard-row lock we
 * hold, so the batch changes no quantity of a buyer it has not locked. The pre-read looks the ids
 * up alone (MATERIALIZED keeps the event out of its WHERE): given both, the planner may AND in the
 * event's index and scan every order of the event.
 *
 * One upsert rather than an insert and a SELECT … FOR UPDATE: its DO UPDATE locks an existing row
 * (waiting for a concurrent writer, then taking its committed quantity), and the rows are taken in
 * buyer order, so writers of different shards sharing buyers cannot deadlock.
 */
async function lockBuyers(
  client: pg.PoolClient,
  eventId: string,
  buyers: string[],
  commands: ShardCommand[],
): Promise<{ buyer_id: string; quantity: number }[]> {
  const { rows } = await client.query<{ buyer_id: string; quantity: number }>(
    `WITH named AS MATERIALIZED (SELECT buyer_id, event_id FROM orders WHERE id = ANY($3::uuid[]))
     INSERT INTO buyer_quantities (event_id, buyer_id, quantity)
     SELECT $1, b.buyer_id, 0 FROM (
       SELECT unnest($2::text[]) AS buyer_id
       UNION
       SELECT buyer_id FROM named WHERE event_id = $1
     ) AS b ORDER BY b.buyer_id
     ON CONFLICT (event_id, buyer_id) DO UPDATE SET quantity = buyer_quantities.quantity
     RETURNING buyer_id, quantity`,
    [eventId, buyers, commands.map((c) => c.orderId)],
  );
  return rows;
}

/**
 * Whether a batch can free seats or change a waiting list: anything but purchases (which only take
 * seats; a sold-out purchase never frees one).
 */
function mayServe(commands: ShardCommand[]): boolean {
  return commands.some((c) => c.kind !== 'purchase.requested');
}

/** Provider events the batch applied; the first command carrying an id is the one that was. */
function newProviderEvents(
  commands: ShardCommand[],
  outcomes: Outcome[],
  before: ShardState,
  after: ShardState,
): { provider_event_id: string; order_id: string; kind: string }[] {
  const applied = new Map<string, { provider_event_id: string; order_id: string; kind: string }>();
  commands.forEach((c, i) => {
    if (c.kind !== 'payment.confirmed' && c.kind !== 'payment.failed') return;
    if (before.processedPayments.has(c.providerEventId) || applied.has(c.providerEventId)) return;
    if (!after.processedPayments.has(c.providerEventId)) return;
    applied.set(c.providerEventId, {
      provider_event_id: c.providerEventId,
      order_id: c.orderId,
      kind: `${c.kind}:${outcomes[i]!.kind}`,
    });
  });
  return [...applied.values()];
}

/**
 * Remaining stock of every shard of the event, read without locks: a hint for where a sold-out
 * request may go next (the target shard decides).
 */
async function stockByTicketType(
  client: pg.PoolClient,
  eventId: string,
): Promise<Map<string, (number | undefined)[]>> {
  const { rows } = await client.query<{ shard: number; ticket_type: string; remaining: number }>(
    'SELECT shard, ticket_type, capacity - held - sold AS remaining FROM inventory_shards WHERE event_id = $1',
    [eventId],
  );
  const stock = new Map<string, (number | undefined)[]>();
  for (const row of rows) {
    const shards = stock.get(row.ticket_type) ?? [];
    shards[row.shard] = row.remaining;
    stock.set(row.ticket_type, shards);
  }
  return stock;
}

/**
 * Records purchases the database refused on their own (isolated from their batch) as REJECTED
 * orders, in a transaction of their own; returns the ids written (an id or Idempotency-Key already
 * taken keeps its order). Fails like `applyShardBatch`: transient, or refused again.
 */
export async function recordRejectedOrders(
  pool: pg.Pool,
  event: EventKey,
  orders: Order[],
): Promise<string[]> {
  return classified(() =>
    inTransaction(pool, async (client) => {
      const eventRow = (
        await client.query<{ id: string }>('SELECT id FROM events WHERE namespace = $1 AND name = $2', [
          event.namespace,
          event.name,
        ])
      ).rows[0];
      if (!eventRow) throw new UnknownEventError(`event ${event.namespace}/${event.name} is not provisioned`);
      return insertNewOrders(client, eventRow.id, orders);
    }),
  );
}

import {
  applyBatch,
  newTicketCode,
  type Counter,
  type EventKey,
  type Order,
  type Outcome,
  type PurchaseRequested,
  type ShardCommand,
  type ShardState,
} from '@boxoffice/inventory';
import type pg from 'pg';
import { orderFromRow, type OrderRow } from './order-row.ts';
import { inTransaction } from './transaction.ts';

export interface ShardBatchResult {
  outcomes: Outcome[];
  /**
   * Requests this shard could not serve while other shards still have stock: to be produced to
   * those shards' partitions (before this batch's offsets are committed).
   */
  forwards: { shard: number; command: PurchaseRequested }[];
  /** Requests that got no hold anywhere; recorded as REJECTED orders. */
  rejected: Order[];
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
 */
export async function applyShardBatch(
  pool: pg.Pool,
  event: EventKey,
  shard: number,
  commands: ShardCommand[],
  now: Date,
): Promise<ShardBatchResult> {
  return inTransaction(pool, async (client) => {
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
    // UNION ALL: an order found both ways is de-duplicated by the Map below, not by sorting rows.
    // Not a named (prepared) statement: its generic plan, made while the table was small, scans.
    const orderRows = await client.query<OrderRow>({
      text: `SELECT * FROM orders WHERE id = ANY($1::uuid[])
       UNION ALL
       SELECT o.* FROM orders o JOIN unnest($3::text[], $4::text[]) AS k(buyer_id, idempotency_key)
         ON o.buyer_id = k.buyer_id AND o.idempotency_key = k.idempotency_key
       WHERE o.event_id = $2`,
      values: [
        commands.map((c) => c.orderId),
        eventId,
        purchases.map((p) => p.buyerId),
        purchases.map((p) => p.idempotencyKey),
      ],
    });
    const orders = new Map(orderRows.rows.map((row) => [row.id, orderFromRow(row)]));

    const buyers = [
      ...new Set([...purchases.map((p) => p.buyerId), ...[...orders.values()].map((o) => o.buyerId)]),
    ].sort();
    await client.query(
      'INSERT INTO buyer_quantities (event_id, buyer_id, quantity) SELECT $1, unnest($2::text[]), 0 ON CONFLICT DO NOTHING',
      [eventId, buyers],
    );
    // Sorted, so allocators of different shards lock a shared buyer's row in the same order.
    const buyerRows = await client.query<{ buyer_id: string; quantity: number }>(
      'SELECT buyer_id, quantity FROM buyer_quantities WHERE event_id = $1 AND buyer_id = ANY($2::text[]) ORDER BY buyer_id FOR UPDATE',
      [eventId, buyers],
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
    const prices = await client.query<{ name: string; price_minor: string; currency: string }>(
      // A retired ticket type (removed from the spec) has no price: not on sale, so REJECTED.
      'SELECT name, price_minor, currency FROM ticket_types WHERE event_id = $1 AND retired_at IS NULL',
      [eventId],
    );

    const state: ShardState = {
      counters,
      orders,
      idempotency: new Map([...orders.values()].map((o) => [`${o.buyerId}\n${o.idempotencyKey}`, o.id])),
      buyerQuantities: new Map(buyerRows.rows.map((row) => [row.buyer_id, row.quantity])),
      processedPayments: new Set(processed.map((row) => row.provider_event_id)),
    };
    const result = applyBatch(state, commands, {
      shard,
      now,
      holdTtlSeconds: eventRow.hold_ttl_seconds,
      perBuyerLimit: eventRow.per_buyer_limit,
      prices: new Map(
        prices.rows.map((row) => [row.name, { priceMinor: Number(row.price_minor), currency: row.currency }]),
      ),
      newTicketCode,
    });

    const routed = await routeRejections(client, eventId, shard, commands, result.outcomes, now);
    const forwards = routed.forwards;
    // One row per order id and per idempotency key: a key reused under another order id (possible
    // only if the API lost its key cache) must not fail the whole batch on the unique constraint.
    const keys = new Set(result.changedOrders.map((o) => `${o.buyerId}\n${o.idempotencyKey}`));
    const ids = new Set<string>();
    const rejected = routed.rejected.filter((o) => {
      const key = `${o.buyerId}\n${o.idempotencyKey}`;
      if (keys.has(key) || ids.has(o.id)) return false;
      keys.add(key);
      ids.add(o.id);
      return true;
    });
    await writeOrders(client, eventId, [...result.changedOrders, ...rejected]);
    if (result.tickets.length > 0) {
      await client.query(
        `INSERT INTO tickets (code, order_id, ticket_type, seq)
         SELECT code, order_id, ticket_type, seq FROM json_to_recordset($1::json) AS t(code text, order_id uuid, ticket_type text, seq int)`,
        [
          JSON.stringify(
            result.tickets.map((t) => ({
              code: t.code,
              order_id: t.orderId,
              ticket_type: t.ticketType,
              seq: t.seq,
            })),
          ),
        ],
      );
    }
    await writeCounters(client, eventId, shard, counters, result.state.counters);
    await writeBuyerQuantities(client, eventId, state.buyerQuantities, result.state.buyerQuantities);
    // The first command carrying a provider event id is the one that was applied.
    const newPayments = new Map<string, { provider_event_id: string; order_id: string; kind: string }>();
    commands.forEach((c, i) => {
      if (c.kind !== 'payment.confirmed' && c.kind !== 'payment.failed') return;
      if (state.processedPayments.has(c.providerEventId) || newPayments.has(c.providerEventId)) return;
      if (!result.state.processedPayments.has(c.providerEventId)) return;
      newPayments.set(c.providerEventId, {
        provider_event_id: c.providerEventId,
        order_id: c.orderId,
        kind: `${c.kind}:${result.outcomes[i]!.kind}`,
      });
    });
    if (newPayments.size > 0) {
      await client.query(
        `INSERT INTO provider_events (provider_event_id, order_id, kind)
         SELECT * FROM json_to_recordset($1::json) AS p(provider_event_id text, order_id uuid, kind text)`,
        [JSON.stringify([...newPayments.values()])],
      );
    }
    return { outcomes: result.outcomes, counters: result.state.counters, forwards, rejected };
  });
}

async function writeOrders(client: pg.PoolClient, eventId: string, changed: Order[]): Promise<void> {
  if (changed.length === 0) return;
  const rows = changed.map((o) => ({
    id: o.id,
    event_id: eventId,
    buyer_id: o.buyerId,
    ticket_type: o.ticketType,
    quantity: o.quantity,
    idempotency_key: o.idempotencyKey,
    shard: o.shard,
    status: o.status,
    reject_reason: o.rejectReason ?? null,
    amount_minor: o.amountMinor,
    currency: o.currency,
    created_at: o.createdAt,
    expires_at: o.expiresAt,
    updated_at: o.updatedAt,
  }));
  await client.query(
    `INSERT INTO orders SELECT * FROM json_populate_recordset(NULL::orders, $1::json)
     ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at`,
    [JSON.stringify(rows)],
  );
}

async function writeCounters(
  client: pg.PoolClient,
  eventId: string,
  shard: number,
  before: Map<string, Counter>,
  after: Map<string, Counter>,
): Promise<void> {
  const changed = [...after].filter(
    ([type, c]) => before.get(type)?.held !== c.held || before.get(type)?.sold !== c.sold,
  );
  if (changed.length === 0) return;
  await client.query(
    `UPDATE inventory_shards s SET held = v.held, sold = v.sold
     FROM json_to_recordset($3::json) AS v(ticket_type text, held int, sold int)
     WHERE s.event_id = $1 AND s.shard = $2 AND s.ticket_type = v.ticket_type`,
    [
      eventId,
      shard,
      JSON.stringify(changed.map(([ticket_type, c]) => ({ ticket_type, held: c.held, sold: c.sold }))),
    ],
  );
}

async function writeBuyerQuantities(
  client: pg.PoolClient,
  eventId: string,
  before: Map<string, number>,
  after: Map<string, number>,
): Promise<void> {
  const changed = [...after].filter(([buyer, quantity]) => before.get(buyer) !== quantity);
  if (changed.length === 0) return;
  // One unique-index probe per buyer (the rows are already locked). An UPDATE … FROM a row set
  // lets the planner hash-join every buyer of the event instead: O(buyers) per batch.
  await client.query(
    `INSERT INTO buyer_quantities (event_id, buyer_id, quantity)
     SELECT $1, v.buyer_id, v.quantity FROM unnest($2::text[], $3::int[]) AS v(buyer_id, quantity)
     ON CONFLICT (event_id, buyer_id) DO UPDATE SET quantity = EXCLUDED.quantity`,
    [eventId, changed.map(([buyer]) => buyer), changed.map(([, quantity]) => quantity)],
  );
}

/**
 * A request this shard is sold out for moves to the unvisited shard with the most stock left for
 * its ticket type (read without locks: a hint, the target shard decides). When no shard has
 * enough, or the reason is final (limit reached), the request is recorded as REJECTED.
 */
async function routeRejections(
  client: pg.PoolClient,
  eventId: string,
  shard: number,
  commands: ShardCommand[],
  outcomes: Outcome[],
  now: Date,
): Promise<{ forwards: ShardBatchResult['forwards']; rejected: Order[] }> {
  const forwards: ShardBatchResult['forwards'] = [];
  const rejected: Order[] = [];
  let stock: { shard: number; ticket_type: string; remaining: number }[] | undefined;
  for (const [i, outcome] of outcomes.entries()) {
    const command = commands[i]!;
    if (outcome.kind !== 'rejected' || command.kind !== 'purchase.requested') continue;
    const visited = [...new Set([...(command.visitedShards ?? []), shard])];
    if (outcome.reason === 'sold_out') {
      stock ??= (
        await client.query<{ shard: number; ticket_type: string; remaining: number }>(
          'SELECT shard, ticket_type, capacity - held - sold AS remaining FROM inventory_shards WHERE event_id = $1',
          [eventId],
        )
      ).rows;
      const target = stock
        .filter(
          (s) =>
            s.ticket_type === command.ticketType &&
            s.remaining >= command.quantity &&
            !visited.includes(s.shard),
        )
        .sort((a, b) => b.remaining - a.remaining)[0];
      if (target) {
        forwards.push({ shard: target.shard, command: { ...command, visitedShards: visited } });
        continue;
      }
    }
    const at = now.toISOString();
    rejected.push({
      id: command.orderId,
      buyerId: command.buyerId,
      ticketType: command.ticketType,
      quantity: command.quantity,
      idempotencyKey: command.idempotencyKey,
      shard,
      status: 'REJECTED',
      rejectReason: outcome.reason,
      amountMinor: 0,
      currency: 'XXX',
      createdAt: at,
      expiresAt: at,
      updatedAt: at,
    });
  }
  return { forwards, rejected };
}

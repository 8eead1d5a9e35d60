import { channelOf, type Counter, type Order, type Ticket } from '@boxoffice/inventory';
import type pg from 'pg';
import { orderIdTaken } from './store-failures.ts';

/** The writes of a shard batch, inside its transaction; each is one statement over a JSON row set. */

/**
 * Inserts the batch's new orders and moves its changed ones to their new status. An existing row is
 * updated only if it is the same order on the same shard (one the batch read under the shard-row
 * lock): an id that some other writer took in the meantime (another shard's hold of the same
 * purchase, another event's order) is never merged into, and the batch fails as refused, which
 * rolls back its counters and lets the allocator apply the command again on its own, when it sees
 * that order. The last line of defence: the buyer-row locks make a second hold a duplicate first.
 */
export async function writeOrders(client: pg.PoolClient, eventId: string, changed: Order[]): Promise<void> {
  if (changed.length === 0) return;
  const { rowCount } = await client.query(
    `INSERT INTO orders SELECT * FROM json_populate_recordset(NULL::orders, $1::json)
     ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
     WHERE (orders.event_id, orders.shard, orders.buyer_id, orders.idempotency_key)
         = (EXCLUDED.event_id, EXCLUDED.shard, EXCLUDED.buyer_id, EXCLUDED.idempotency_key)`,
    [JSON.stringify(changed.map((o) => orderRow(eventId, o)))],
  );
  if (rowCount !== changed.length)
    throw orderIdTaken(
      `${changed.length - (rowCount ?? 0)} of ${changed.length} orders not written: an id among them is another shard's or event's order (${changed.map((o) => o.id).join(', ')})`,
    );
}

/**
 * Writes REJECTED orders that do not exist yet; returns the ids written. An order id or an
 * (event, buyer, Idempotency-Key) already taken keeps its order.
 */
export async function insertNewOrders(
  client: pg.PoolClient,
  eventId: string,
  orders: Order[],
): Promise<string[]> {
  if (orders.length === 0) return [];
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO orders SELECT * FROM json_populate_recordset(NULL::orders, $1::json)
     ON CONFLICT DO NOTHING RETURNING id`,
    [JSON.stringify(orders.map((o) => orderRow(eventId, o)))],
  );
  return rows.map((row) => row.id);
}

function orderRow(eventId: string, o: Order): Record<string, unknown> {
  return {
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
    // json_populate_recordset gives a missing key NULL, not the column default.
    channel: channelOf(o),
  };
}

export async function writeTickets(client: pg.PoolClient, tickets: Ticket[]): Promise<void> {
  if (tickets.length === 0) return;
  await client.query(
    `INSERT INTO tickets (code, order_id, ticket_type, seq)
     SELECT code, order_id, ticket_type, seq FROM json_to_recordset($1::json) AS t(code text, order_id uuid, ticket_type text, seq int)`,
    [
      JSON.stringify(
        tickets.map((t) => ({ code: t.code, order_id: t.orderId, ticket_type: t.ticketType, seq: t.seq })),
      ),
    ],
  );
}

export async function writeCounters(
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

export async function writeBuyerQuantities(
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

export async function writeProviderEvents(
  client: pg.PoolClient,
  events: { provider_event_id: string; order_id: string; kind: string }[],
): Promise<void> {
  if (events.length === 0) return;
  await client.query(
    `INSERT INTO provider_events (provider_event_id, order_id, kind)
     SELECT * FROM json_to_recordset($1::json) AS p(provider_event_id text, order_id uuid, kind text)`,
    [JSON.stringify(events)],
  );
}

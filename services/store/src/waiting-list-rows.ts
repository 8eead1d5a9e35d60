import { type WaitingEntry, type WaitingStatus } from '@boxoffice/inventory';
import type pg from 'pg';
import { orderIdTaken } from './store-failures.ts';

/** A `waiting_list` row as node-postgres returns it (bigint as string, timestamps as Date). */
export interface WaitingRow {
  id: string;
  ticket_type: string;
  buyer_id: string;
  quantity: number;
  shard: number;
  seq: string;
  status: WaitingStatus;
  channel: string;
  joined_at: Date;
  updated_at: Date;
}

export function entryFromRow(row: WaitingRow): WaitingEntry {
  return {
    id: row.id,
    buyerId: row.buyer_id,
    ticketType: row.ticket_type,
    quantity: row.quantity,
    shard: row.shard,
    seq: Number(row.seq),
    status: row.status,
    joinedAt: row.joined_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    channel: row.channel,
  };
}

/**
 * The first WAITING entries of each ticket type on a shard, in joining order, that could take at
 * most `seats` seats (an entry asking for more cannot be served by this batch). At most `perType`
 * per type: the batch serves entries in order until its seats run out, so one that waits behind
 * that many which do not fit is served by a later batch (the seats are never given out of order).
 */
export async function shardWaitingLists(
  client: pg.PoolClient,
  eventId: string,
  shard: number,
  seats: number,
  perType: number,
): Promise<{ lists: Map<string, WaitingEntry[]>; cut: Set<string> }> {
  const { rows } = await client.query<WaitingRow>(
    `SELECT * FROM (
       SELECT w.*, row_number() OVER (PARTITION BY ticket_type ORDER BY seq) AS n
       FROM waiting_list w
       WHERE event_id = $1 AND shard = $2 AND status = 'WAITING' AND quantity <= $3
     ) AS w WHERE n <= $4 ORDER BY ticket_type, seq`,
    [eventId, shard, seats, perType],
  );
  const lists = new Map<string, WaitingEntry[]>();
  for (const row of rows) {
    const list = lists.get(row.ticket_type) ?? [];
    list.push(entryFromRow(row));
    lists.set(row.ticket_type, list);
  }
  // A list that filled its share may go on: the batch must not serve a join behind it.
  const cut = new Set([...lists].filter(([, list]) => list.length >= perType).map(([type]) => type));
  return { lists, cut };
}

/**
 * Inserts the batch's new entries and moves changed ones to their new status; like `writeOrders`,
 * an existing row is only changed if it is this shard's (else the batch is refused).
 */
export async function writeEntries(
  client: pg.PoolClient,
  eventId: string,
  changed: WaitingEntry[],
): Promise<void> {
  if (changed.length === 0) return;
  const { rowCount } = await client.query(
    `INSERT INTO waiting_list SELECT * FROM json_populate_recordset(NULL::waiting_list, $1::json)
     ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
     WHERE (waiting_list.event_id, waiting_list.shard, waiting_list.buyer_id)
         = (EXCLUDED.event_id, EXCLUDED.shard, EXCLUDED.buyer_id)`,
    [
      JSON.stringify(
        changed.map((e) => ({
          id: e.id,
          event_id: eventId,
          ticket_type: e.ticketType,
          buyer_id: e.buyerId,
          quantity: e.quantity,
          shard: e.shard,
          seq: e.seq,
          status: e.status,
          channel: e.channel ?? 'online',
          joined_at: e.joinedAt,
          updated_at: e.updatedAt,
        })),
      ),
    ],
  );
  if (rowCount !== changed.length)
    throw orderIdTaken(
      `${changed.length - (rowCount ?? 0)} of ${changed.length} waiting-list entries not written: an id among them is another shard's entry`,
    );
}

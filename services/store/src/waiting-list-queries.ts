import { WaitingStatus, type EventKey, type WaitingEntry, type WaitingShard } from '@boxoffice/inventory';
import type pg from 'pg';
import { entryFromRow, type WaitingRow } from './waiting-list-rows.ts';

/** A buyer's waiting-list entry as purchase-api shows it: with its place, or the hold it became. */
export interface BuyerWaitingEntry extends WaitingEntry {
  /** 1 + the entries of its shard and type that joined before it (WAITING entries only). */
  position?: number;
  /** The hold it was offered as (OFFERED entries only). */
  offer?: { status: string; expiresAt: string };
}

/**
 * The buyer's latest entry per ticket type of the event (or of one type): a buyer has at most one
 * WAITING entry per type; older ones (left, offered) are history.
 */
export async function buyerWaitingEntries(
  pool: pg.Pool,
  event: EventKey,
  buyerId: string,
  ticketType?: string,
): Promise<BuyerWaitingEntry[]> {
  const { rows } = await pool.query<
    WaitingRow & { position: string | null; offer_status: string | null; offer_expires_at: Date | null }
  >(
    `SELECT DISTINCT ON (w.ticket_type) w.*,
            CASE WHEN w.status = 'WAITING' THEN
              (SELECT count(*) + 1 FROM waiting_list a
               WHERE a.event_id = w.event_id AND a.shard = w.shard AND a.ticket_type = w.ticket_type
                 AND a.status = 'WAITING' AND a.seq < w.seq)
            END AS position,
            o.status AS offer_status, o.expires_at AS offer_expires_at
     FROM waiting_list w JOIN events e ON e.id = w.event_id
     LEFT JOIN orders o ON w.status = 'OFFERED' AND o.id = w.id
     WHERE e.namespace = $1 AND e.name = $2 AND w.buyer_id = $3 AND ($4::text IS NULL OR w.ticket_type = $4)
     ORDER BY w.ticket_type, w.joined_at DESC, w.seq DESC`,
    [event.namespace, event.name, buyerId, ticketType ?? null],
  );
  return rows.map((row) => ({
    ...entryFromRow(row),
    ...(row.position !== null ? { position: Number(row.position) } : {}),
    ...(row.status === WaitingStatus.Offered && row.offer_status
      ? { offer: { status: row.offer_status, expiresAt: row.offer_expires_at!.toISOString() } }
      : {}),
  }));
}

/** Each shard of a ticket type with the tickets its waiting list asks for (where a new entry goes). */
export async function waitingShards(
  pool: pg.Pool,
  event: EventKey,
  ticketType: string,
): Promise<WaitingShard[]> {
  const { rows } = await pool.query<{ shard: number; capacity: number; waiting: string }>(
    `SELECT s.shard, s.capacity,
            (SELECT coalesce(sum(w.quantity), 0) FROM waiting_list w
             WHERE w.event_id = s.event_id AND w.shard = s.shard AND w.ticket_type = s.ticket_type
               AND w.status = 'WAITING') AS waiting
     FROM inventory_shards s JOIN events e ON e.id = s.event_id
     WHERE e.namespace = $1 AND e.name = $2 AND s.ticket_type = $3 ORDER BY s.shard`,
    [event.namespace, event.name, ticketType],
  );
  const shards: WaitingShard[] = [];
  for (const row of rows) shards[row.shard] = { capacity: row.capacity, waitingTickets: Number(row.waiting) };
  return shards;
}

/** Tickets the buyer holds or bought for the event (what counts against the per-buyer limit). */
export async function buyerActiveQuantity(pool: pg.Pool, event: EventKey, buyerId: string): Promise<number> {
  const { rows } = await pool.query<{ quantity: number }>(
    `SELECT b.quantity FROM buyer_quantities b JOIN events e ON e.id = b.event_id
     WHERE e.namespace = $1 AND e.name = $2 AND b.buyer_id = $3`,
    [event.namespace, event.name, buyerId],
  );
  return rows[0]?.quantity ?? 0;
}

/** A shard with seats left that a buyer on its waiting list would fit. */
export interface IdleWaitingShard {
  event: EventKey;
  shard: number;
  ticketType: string;
}

/**
 * Shards of open events whose remaining seats fit an entry of their waiting list: seats that came
 * back without a command of the shard freeing them (the capacity grew), so no batch served them.
 */
export async function idleWaitingShards(pool: pg.Pool): Promise<IdleWaitingShard[]> {
  const { rows } = await pool.query<{ namespace: string; name: string; shard: number; ticket_type: string }>(
    `SELECT e.namespace, e.name, s.shard, s.ticket_type
     FROM inventory_shards s JOIN events e ON e.id = s.event_id
     WHERE e.closed_at IS NULL AND s.capacity - s.held - s.sold > 0
       AND EXISTS (SELECT 1 FROM waiting_list w
                   WHERE w.event_id = s.event_id AND w.shard = s.shard AND w.ticket_type = s.ticket_type
                     AND w.status = 'WAITING' AND w.quantity <= s.capacity - s.held - s.sold)`,
  );
  return rows.map((row) => ({
    event: { namespace: row.namespace, name: row.name },
    shard: row.shard,
    ticketType: row.ticket_type,
  }));
}

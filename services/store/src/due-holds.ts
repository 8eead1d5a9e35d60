import type { EventKey } from '@boxoffice/inventory';
import type pg from 'pg';
import { inTransaction } from './transaction.ts';

export interface DueHold {
  event: EventKey;
  orderId: string;
  shard: number;
}

export type SweepRound =
  | { swept: false }
  | {
      swept: true;
      /** Holds handed to `send` this round (at most `limit`). */
      due: number;
      /** The walk went back to the first due hold this round (everything still HELD goes again). */
      restarted: boolean;
    };

/**
 * Key of the sweep's advisory lock (the two-int form, which never collides with node-pg-migrate's
 * one-bigint lock): 'boxo' and 1.
 */
const SWEEP_LOCK = [0x626f786f, 1] as const;

/**
 * One round of the expiry sweep over every event: the next `limit` unpaid holds past their expiry,
 * in expiry order after where the previous round stopped, handed to `send` (which produces their
 * `hold.expire` commands), then the sweep's position moves past them. All in one transaction that
 * holds the sweep's advisory lock, so among several processes on one database one sweeps at a time
 * and the others skip the round (`swept: false`) instead of sending the same holds again. If `send`
 * throws, nothing moves and the next round sends the same holds. Every `restartAfterMs` the walk
 * starts over from the oldest due hold, so a hold whose command did not expire it (an allocator
 * whose clock is behind answers "not due"; a send that failed) is sent again; a duplicate is
 * ignored by the shard, whose single writer decides.
 */
export async function sweepDueHolds(
  pool: pg.Pool,
  options: { limit: number; restartAfterMs: number },
  send: (holds: DueHold[]) => Promise<void>,
): Promise<SweepRound> {
  return inTransaction(pool, async (client) => {
    const { rows: locked } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_xact_lock($1::int, $2::int) AS locked',
      [...SWEEP_LOCK],
    );
    if (!locked[0]!.locked) return { swept: false };
    const restarted =
      (
        await client.query(
          `UPDATE hold_expiry_sweep SET after_expires_at = '-infinity',
             after_order_id = '00000000-0000-0000-0000-000000000000', walk_started_at = now()
           WHERE walk_started_at <= now() - make_interval(secs => $1::float8 / 1000)`,
          [options.restartAfterMs],
        )
      ).rowCount === 1;
    // As text, so the position keeps PostgreSQL's microseconds (a JS Date would round them).
    const { rows: positions } = await client.query<{ after_expires_at: string; after_order_id: string }>(
      'SELECT after_expires_at::text, after_order_id::text FROM hold_expiry_sweep',
    );
    const position = positions[0]!;
    // Keyset pagination on the (expires_at, id) index of HELD orders: a round reads only its batch,
    // however many holds earlier rounds already sent (an allocator at zero leaves them HELD).
    const { rows } = await client.query<{ id: string; shard: number; namespace: string; name: string }>(
      `SELECT o.id, o.shard, e.namespace, e.name
       FROM orders o JOIN events e ON e.id = o.event_id
       WHERE o.status = 'HELD' AND o.expires_at <= now()
         AND (o.expires_at, o.id) > ($1::timestamptz, $2::uuid)
       ORDER BY o.expires_at, o.id LIMIT $3`,
      [position.after_expires_at, position.after_order_id, options.limit],
    );
    if (rows.length === 0) return { swept: true, due: 0, restarted };
    await send(
      rows.map((r) => ({ event: { namespace: r.namespace, name: r.name }, orderId: r.id, shard: r.shard })),
    );
    await client.query(
      `UPDATE hold_expiry_sweep SET (after_expires_at, after_order_id) =
         (SELECT expires_at, id FROM orders WHERE id = $1)`,
      [rows.at(-1)!.id],
    );
    return { swept: true, due: rows.length, restarted };
  });
}

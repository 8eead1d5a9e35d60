import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  newOrderId,
  type ReleaseRequested,
  type ShardCommand,
  type WaitingListJoin,
} from '@boxoffice/inventory';
import { createTestDatabase, kafkaAs, uniqueName } from '@boxoffice/testkit';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import {
  applyShardBatch,
  eventCounters,
  invariantViolations,
  migrate,
  provisionEvent,
} from '../src/index.ts';
import { eventOnSale, purchase } from './fixtures.ts';

const join = (buyerId: string, quantity = 1): WaitingListJoin => ({
  v: 1,
  kind: 'waiting-list.join',
  orderId: newOrderId(),
  buyerId,
  ticketType: 'standard',
  quantity,
  requestedAt: new Date().toISOString(),
});
const release = (orderId: string, buyerId: string): ReleaseRequested => ({
  v: 1,
  kind: 'release.requested',
  orderId,
  buyerId,
});

/**
 * The waiting list's writes in the shard transaction, against PostgreSQL: what the shard-row and
 * buyer-row locks must keep true when writers run at once (two shards, a zombie writer, a
 * redelivered batch).
 */
describe('waiting lists in the shard transaction', () => {
  let pool: pg.Pool;
  let admin: Admin;

  beforeAll(async () => {
    const url = await createTestDatabase(uniqueName('waiting'));
    await migrate(url);
    pool = new pg.Pool({ connectionString: url, max: 12 });
    admin = kafkaAs('operator', 'waiting-list-store-test').admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await pool.end();
  });

  const rows = async (namespace: string) =>
    (
      await pool.query<{ id: string; buyer_id: string; shard: number; status: string }>(
        `SELECT w.id, w.buyer_id, w.shard, w.status FROM waiting_list w JOIN events e ON e.id = w.event_id
         WHERE e.namespace = $1 ORDER BY w.shard, w.seq`,
        [namespace],
      )
    ).rows;

  /** An event whose every seat is held, one per holder; returns the holds. */
  const soldOut = async (name: string, shards: number, capacity: number) => {
    const event = eventOnSale(uniqueName(name), {
      shards,
      ticketTypes: [{ name: 'standard', priceMinor: 1000, currency: 'EUR', capacity }],
    });
    await provisionEvent({ pool, admin }, event);
    const holds: { shard: number; orderId: string; buyerId: string }[] = [];
    for (let shard = 0; shard < shards; shard++)
      for (let i = 0; i < capacity / shards; i++) {
        const command = purchase(`holder-${shard}-${i}`);
        const result = await applyShardBatch(pool, event, shard, [command], new Date());
        expect(result.outcomes[0]?.kind).toBe('held');
        holds.push({ shard, orderId: command.orderId, buyerId: command.buyerId });
      }
    return { event, holds };
  };

  it('keeps one waiting entry per buyer when the same buyer joins on two shards at once', async () => {
    const { event } = await soldOut('twice', 2, 2);
    const buyers = Array.from({ length: 30 }, (_, i) => `buyer-${i}`);
    const results = await Promise.all(
      buyers.flatMap((buyer) =>
        [0, 1].map((shard) => applyShardBatch(pool, event, shard, [join(buyer)], new Date())),
      ),
    );
    const kinds = results.map((r) => r.outcomes[0]!);
    expect(kinds.filter((o) => o.kind === 'joined')).toHaveLength(buyers.length);
    expect(kinds.filter((o) => o.kind !== 'joined')).toEqual(
      buyers.map(() => expect.objectContaining({ kind: 'rejected', reason: 'already_waiting' })),
    );
    const entries = await rows(event.namespace);
    expect(entries.map((e) => e.buyer_id).sort()).toEqual([...buyers].sort());
  });

  it('offers freed seats once when a zombie writer applies the same batch at the same time, and again on redelivery', async () => {
    const { event, holds } = await soldOut('zombie', 1, 4);
    const joins = Array.from({ length: 6 }, (_, i) => join(`waiter-${i}`));
    await applyShardBatch(pool, event, 0, joins, new Date());
    const releases: ShardCommand[] = holds.map((h) => release(h.orderId, h.buyerId));
    // Two writers of shard 0 at once (a rebalance), then the batch again (a crash before the commit).
    const [a, b] = await Promise.all([
      applyShardBatch(pool, event, 0, releases, new Date()),
      applyShardBatch(pool, event, 0, releases, new Date()),
    ]);
    const again = await applyShardBatch(pool, event, 0, releases, new Date());
    expect([...a.offers, ...b.offers, ...again.offers].map((o) => o.id)).toEqual(
      joins.slice(0, 4).map((j) => j.orderId),
    );
    expect((await rows(event.namespace)).map((e) => e.status)).toEqual([
      'OFFERED',
      'OFFERED',
      'OFFERED',
      'OFFERED',
      'WAITING',
      'WAITING',
    ]);
    expect(await eventCounters(pool, event)).toEqual([
      { ticketType: 'standard', capacity: 4, held: 4, sold: 0, remaining: 0 },
    ]);
    expect(await invariantViolations(pool)).toEqual([]);
  });
});

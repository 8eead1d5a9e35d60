import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EventKey, PurchaseRequested } from '@boxoffice/inventory';
import { createTestDatabase, kafkaAs, uniqueName } from '@boxoffice/testkit';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import {
  applyShardBatch,
  eventCounters,
  invariantViolations,
  migrate,
  provisionEvent,
  RefusedByStoreError,
  type ShardBatchResult,
} from '../src/index.ts';
import { eventOnSale, purchase } from './fixtures.ts';

/**
 * One purchase can reach two shards at once: a sold-out shard forwards it to a shard chosen at
 * random, and a redelivery of that shard's batch (after a crash before its offset commit) forwards
 * it again, maybe elsewhere. The two shards' writers lock different shard rows, so nothing but the
 * store's own ordering keeps them from both holding it.
 */
describe('one purchase applied on two shards at once', () => {
  let pool: pg.Pool;
  let admin: Admin;

  beforeAll(async () => {
    const url = await createTestDatabase(uniqueName('same-order'));
    await migrate(url);
    pool = new pg.Pool({ connectionString: url, max: 10 });
    admin = kafkaAs('operator', 'same-order-test').admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await pool.end();
  });

  /** Applies each copy on its shard concurrently (each its own pooled connection and transaction). */
  const race = (
    event: EventKey,
    copies: { shard: number; command: PurchaseRequested }[],
  ): Promise<ShardBatchResult[]> =>
    Promise.all(
      copies.map(({ shard, command }) => applyShardBatch(pool, event, shard, [command], new Date())),
    );

  const orderRows = async (ids: string[]): Promise<{ id: string; shard: number; status: string }[]> =>
    (
      await pool.query<{ id: string; shard: number; status: string }>(
        'SELECT id, shard, status FROM orders WHERE id = ANY($1::uuid[]) ORDER BY id',
        [ids],
      )
    ).rows;

  it('holds it once: one shard holds it, the other answers duplicate, and the counters equal the orders', async () => {
    const rounds = 50;
    // Two seats per order against a limit of four: a second hold of the same order would fit.
    const event = eventOnSale(uniqueName('twice'), {
      shards: 2,
      ticketTypes: [{ name: 'standard', priceMinor: 5000, currency: 'EUR', capacity: 4 * rounds }],
    });
    await provisionEvent({ pool, admin }, event);

    const held: { orderId: string; shard: number }[] = [];
    const answers: string[][] = [];
    for (let round = 0; round < rounds; round++) {
      const request = purchase(`buyer-${round}`, 2);
      const results = await race(event, [
        { shard: 0, command: request },
        { shard: 1, command: request },
      ]);
      answers.push(results.map((r) => r.outcomes[0]!.kind).sort());
      results.forEach((r, shard) => {
        if (r.outcomes[0]!.kind === 'held') held.push({ orderId: request.orderId, shard });
      });
    }

    expect(answers.filter((a) => a.join() !== 'duplicate,held')).toEqual([]);
    const rows = await orderRows(held.map((h) => h.orderId));
    expect(rows).toHaveLength(rounds);
    // Each order is on the shard that answered "held" for it.
    expect(
      rows.map((r) => ({ orderId: r.id, shard: r.shard })).sort((a, b) => a.orderId.localeCompare(b.orderId)),
    ).toEqual([...held].sort((a, b) => a.orderId.localeCompare(b.orderId)));
    expect((await eventCounters(pool, event))[0]).toMatchObject({ held: 2 * rounds });
    expect(await invariantViolations(pool)).toEqual([]);
  });

  it('holds a forwarded purchase once when its redelivered forward lands on another shard', async () => {
    const rounds = 25;
    const event = eventOnSale(uniqueName('forwarded'), {
      shards: 3,
      sales: { ...eventOnSale('x').sales, perBuyerLimit: 10 },
      ticketTypes: [{ name: 'standard', priceMinor: 5000, currency: 'EUR', capacity: 90 }],
    });
    await provisionEvent({ pool, admin }, event);
    // Shard 2 sells out, so whatever reaches it is forwarded to shard 0 or 1.
    const fill = await applyShardBatch(
      pool,
      event,
      2,
      Array.from({ length: 3 }, (_, i) => purchase(`early-${i}`, 10)),
      new Date(),
    );
    expect(fill.outcomes.map((o) => o.kind)).toEqual(['held', 'held', 'held']);

    const answers: string[][] = [];
    for (let round = 0; round < rounds; round++) {
      const request = purchase(`late-${round}`, 1);
      // The batch and its redelivery, each forwarding the purchase to a shard of its own choosing.
      const first = await applyShardBatch(pool, event, 2, [request], new Date(), { random: () => 0 });
      const again = await applyShardBatch(pool, event, 2, [request], new Date(), { random: () => 0.999 });
      const forwards = [...first.forwards, ...again.forwards];
      expect(forwards.map((f) => f.shard)).toEqual([0, 1]);
      const results = await race(event, forwards);
      answers.push(results.map((r) => r.outcomes[0]!.kind).sort());
    }

    expect(answers.filter((a) => a.join() !== 'duplicate,held')).toEqual([]);
    const counters = await pool.query<{ shard: number; held: number }>(
      `SELECT shard, held FROM inventory_shards
       WHERE event_id = (SELECT id FROM events WHERE namespace = $1) ORDER BY shard`,
      [event.namespace],
    );
    expect(counters.rows.reduce((sum, r) => sum + r.held, 0)).toBe(30 + rounds);
    expect(await invariantViolations(pool)).toEqual([]);
  });

  it('refuses to write an order over another shard’s order of the same id, and its retry answers duplicate', async () => {
    const event = eventOnSale(uniqueName('defence'));
    await provisionEvent({ pool, admin }, event);
    const eventId = (
      await pool.query<{ id: string }>('SELECT id FROM events WHERE namespace = $1', [event.namespace])
    ).rows[0]!.id;
    const request = purchase('dana', 1);
    // Another buyer's order with the same id (no buyer lock in common), inserted on shard 1 and not
    // committed until the batch on shard 0 has read the orders and waits on this row to write.
    const other = await pool.connect();
    try {
      await other.query('BEGIN');
      await other.query(
        `INSERT INTO orders (id, event_id, buyer_id, ticket_type, quantity, idempotency_key, shard, status,
                             amount_minor, currency, created_at, expires_at, updated_at)
         VALUES ($1, $2, 'erin', 'standard', 1, 'erin-key', 1, 'HELD', 5000, 'EUR', now(), now() + interval '10 minutes', now())`,
        [request.orderId, eventId],
      );
      await other.query('UPDATE inventory_shards SET held = held + 1 WHERE event_id = $1 AND shard = 1', [
        eventId,
      ]);
      await other.query(
        "INSERT INTO buyer_quantities (event_id, buyer_id, quantity) VALUES ($1, 'erin', 1)",
        [eventId],
      );
      const backendPid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const batch = applyShardBatch(pool, event, 0, [request], new Date()).catch((error: unknown) => error);
      await waitUntilBlockedBy(pool, backendPid);
      await other.query('COMMIT');

      const failure = await batch;
      expect(failure).toBeInstanceOf(RefusedByStoreError);
      expect(failure).toMatchObject({ sqlState: '23505' });
    } finally {
      other.release();
    }
    expect(await orderRows([request.orderId])).toEqual([{ id: request.orderId, shard: 1, status: 'HELD' }]);
    expect((await eventCounters(pool, event))[0]).toMatchObject({ held: 1 });
    expect(await invariantViolations(pool)).toEqual([]);

    // What the allocator's isolation does next: apply the refused command again, on its own.
    const retry = await applyShardBatch(pool, event, 0, [request], new Date());
    expect(retry.outcomes.map((o) => o.kind)).toEqual(['duplicate']);
    expect(await invariantViolations(pool)).toEqual([]);
  });
});

/** Waits until some backend is waiting for a lock held by `pid`. */
async function waitUntilBlockedBy(pool: pg.Pool, pid: number): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const { rows } = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
      [pid],
    );
    if (Number(rows[0]!.n) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no backend ever waited for backend ${pid}`);
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CapacityBelowAllocatedError } from '@boxoffice/inventory';
import { createTestDatabase, kafkaAs, uniqueName } from '@boxoffice/testkit';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import {
  applyShardBatch,
  eventCounters,
  eventTopic,
  findEvent,
  findOrder,
  invariantViolations,
  migrate,
  provisionEvent,
  RefusedByStoreError,
  shardAvailability,
  TicketTypeInUseError,
} from '../src/index.ts';
import { eventOnSale, purchase } from './fixtures.ts';

describe('the PostgreSQL store', () => {
  let pool: pg.Pool;
  let admin: Admin;

  beforeAll(async () => {
    const url = await createTestDatabase(uniqueName('store'));
    await migrate(url);
    await migrate(url); // a second run applies nothing
    pool = new pg.Pool({ connectionString: url, max: 10 });
    // Provisioning runs as the operator does, with the operator's Kafka principal.
    admin = kafkaAs('operator', 'store-test').admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await pool.end();
  });

  it('provisions a topic with one partition per shard and shard rows that sum to capacity, idempotently', async () => {
    const event = eventOnSale(uniqueName('prov'), {
      shards: 3,
      ticketTypes: [{ name: 'standard', priceMinor: 100, currency: 'EUR', capacity: 10 }],
    });
    await provisionEvent({ pool, admin }, event);
    const metadata = await admin.fetchTopicMetadata({ topics: [eventTopic(event)] });
    expect(metadata.topics[0]!.partitions).toHaveLength(3);
    expect((await shardAvailability(pool, event)).get('standard')).toEqual([4, 3, 3]);

    const before = await pool.query('SELECT xmin::text, * FROM inventory_shards ORDER BY shard');
    const eventsBefore = await pool.query('SELECT xmin::text FROM events');
    await provisionEvent({ pool, admin }, event);
    expect((await pool.query('SELECT xmin::text, * FROM inventory_shards ORDER BY shard')).rows).toEqual(
      before.rows,
    );
    expect((await pool.query('SELECT xmin::text FROM events')).rows).toEqual(eventsBefore.rows);
  });

  it('spreads a capacity increase and new shards, and refuses a capacity below what is held', async () => {
    const event = eventOnSale(uniqueName('resize'));
    await provisionEvent({ pool, admin }, event);
    await applyShardBatch(pool, event, 0, [purchase('alice', 4)], new Date());
    const grown = { ...event, shards: 4, ticketTypes: [{ ...event.ticketTypes[0]!, capacity: 20 }] };
    await provisionEvent({ pool, admin }, grown);
    expect(await eventCounters(pool, event)).toEqual([
      { ticketType: 'standard', capacity: 20, held: 4, sold: 0, remaining: 16 },
    ]);
    expect((await shardAvailability(pool, event)).get('standard')).toEqual([4, 4, 4, 4]);
    expect(
      (await admin.fetchTopicMetadata({ topics: [eventTopic(event)] })).topics[0]!.partitions,
    ).toHaveLength(4);

    await expect(
      provisionEvent({ pool, admin }, { ...grown, ticketTypes: [{ ...event.ticketTypes[0]!, capacity: 3 }] }),
    ).rejects.toBeInstanceOf(CapacityBelowAllocatedError);
    expect((await eventCounters(pool, event))[0]!.capacity).toBe(20);
  });

  it('never oversells when two writers apply the same batches to one shard concurrently', async () => {
    const event = eventOnSale(uniqueName('zombie'), {
      shards: 1,
      sales: { ...eventOnSale('x').sales, perBuyerLimit: 10 },
    });
    await provisionEvent({ pool, admin }, event);
    const batches = Array.from({ length: 6 }, (_, i) =>
      Array.from({ length: 5 }, (_, j) => purchase(`buyer-${i}-${j}`, 1)),
    );
    // Each batch is applied twice at once, as a zombie allocator would after a rebalance.
    const results = await Promise.all(
      batches.flatMap((batch) => [
        applyShardBatch(pool, event, 0, batch, new Date()),
        applyShardBatch(pool, event, 0, batch, new Date()),
      ]),
    );
    const held = results.flatMap((r) => r.outcomes).filter((o) => o.kind === 'held');
    expect(held).toHaveLength(10);
    expect(new Set(held.map((o) => o.orderId)).size).toBe(10);
    expect(await eventCounters(pool, event)).toEqual([
      { ticketType: 'standard', capacity: 10, held: 10, sold: 0, remaining: 0 },
    ]);
    const { rows } = await pool.query<{ n: string }>(
      "SELECT coalesce(sum(quantity), 0) AS n FROM orders WHERE status = 'HELD' AND shard = 0 AND event_id = (SELECT id FROM events WHERE namespace = $1)",
      [event.namespace],
    );
    expect(Number(rows[0]!.n)).toBe(10);
  });

  it('confirms a paid hold once and issues exactly its tickets, even when the webhook is redelivered', async () => {
    const event = eventOnSale(uniqueName('pay'));
    await provisionEvent({ pool, admin }, event);
    const request = purchase('bob', 2);
    await applyShardBatch(pool, event, 1, [request], new Date());
    const payment = {
      v: 1 as const,
      kind: 'payment.confirmed' as const,
      orderId: request.orderId,
      providerEventId: uniqueName('evt'),
      amountMinor: 10_000,
      currency: 'EUR',
    };
    const first = await applyShardBatch(pool, event, 1, [payment, payment], new Date());
    const again = await applyShardBatch(pool, event, 1, [payment], new Date());
    expect(first.outcomes.map((o) => o.kind)).toEqual(['confirmed', 'ignored']);
    expect(again.outcomes.map((o) => o.kind)).toEqual(['ignored']);
    const tickets = await pool.query('SELECT code FROM tickets WHERE order_id = $1', [request.orderId]);
    expect(tickets.rows).toHaveLength(2);
    expect(await eventCounters(pool, event)).toEqual([
      { ticketType: 'standard', capacity: 10, held: 0, sold: 2, remaining: 8 },
    ]);
  });

  it('takes a removed ticket type off sale, refuses the removal while tickets are held, and sells it again when listed again', async () => {
    const standard = { name: 'standard', priceMinor: 5000, currency: 'EUR', capacity: 10 };
    const lounge = { name: 'lounge', priceMinor: 9000, currency: 'EUR', capacity: 4 };
    const event = eventOnSale(uniqueName('retire'), { ticketTypes: [standard, lounge] });
    const withoutLounge = { ...event, ticketTypes: [standard] };
    await provisionEvent({ pool, admin }, event);
    const held = purchase('ann', 2, { ticketType: 'lounge' });
    await applyShardBatch(pool, event, 0, [held], new Date());

    await expect(provisionEvent({ pool, admin }, withoutLounge)).rejects.toThrow(
      new TicketTypeInUseError('lounge', 2, 0),
    );
    expect((await findEvent(pool, event))!.ticketTypes.map((t) => t.name)).toEqual(['lounge', 'standard']);

    const later = new Date(Date.now() + 3_600_000);
    await applyShardBatch(pool, event, 0, [{ v: 1, kind: 'hold.expire', orderId: held.orderId }], later);
    await provisionEvent({ pool, admin }, withoutLounge);
    expect((await findEvent(pool, event))!.ticketTypes.map((t) => t.name)).toEqual(['standard']);
    expect([...(await shardAvailability(pool, event)).keys()]).toEqual(['standard']);
    expect((await eventCounters(pool, event)).map((c) => c.ticketType)).toEqual(['standard']);
    // A purchase already on its way when the type was removed is turned down, and recorded.
    const inFlight = purchase('ben', 1, { ticketType: 'lounge' });
    const result = await applyShardBatch(pool, event, 1, [inFlight], new Date());
    expect(result.outcomes).toEqual([
      { orderId: inFlight.orderId, kind: 'rejected', reason: 'unknown_ticket_type' },
    ]);
    expect((await findOrder(pool, inFlight.orderId))?.status).toBe('REJECTED');
    await provisionEvent({ pool, admin }, withoutLounge); // a resync changes nothing
    expect(await invariantViolations(pool)).toEqual([]);

    await provisionEvent({ pool, admin }, event);
    expect((await eventCounters(pool, event)).find((c) => c.ticketType === 'lounge')).toEqual({
      ticketType: 'lounge',
      capacity: 4,
      held: 0,
      sold: 0,
      remaining: 4,
    });
    const again = await applyShardBatch(
      pool,
      event,
      1,
      [purchase('ben', 1, { ticketType: 'lounge' })],
      new Date(),
    );
    expect(again.outcomes[0]!.kind).toBe('held');
  });

  it("leaves another event's order alone when a command on this event's topic names it", async () => {
    const ours = eventOnSale(uniqueName('ours'));
    const theirs = eventOnSale(uniqueName('theirs'));
    await provisionEvent({ pool, admin }, ours);
    await provisionEvent({ pool, admin }, theirs);
    const ourHold = purchase('alice', 1);
    const theirHold = purchase('alice', 1);
    await applyShardBatch(pool, ours, 0, [ourHold], new Date());
    await applyShardBatch(pool, theirs, 0, [theirHold], new Date());

    // Same shard number, same buyer, same ticket type name: only the event differs.
    const release = {
      v: 1 as const,
      kind: 'release.requested' as const,
      orderId: theirHold.orderId,
      buyerId: 'alice',
    };
    const reuse = purchase('bob', 1, { orderId: theirHold.orderId });
    const result = await applyShardBatch(pool, ours, 0, [release, reuse], new Date());

    expect(result.outcomes).toEqual([
      { orderId: theirHold.orderId, kind: 'ignored', reason: 'unknown_order' },
      { orderId: theirHold.orderId, kind: 'rejected', reason: 'order_id_taken' },
    ]);
    expect(result.deadLetters.map((d) => d.index)).toEqual([0, 1]);
    expect(result.rejected).toEqual([]);
    expect(await findOrder(pool, theirHold.orderId)).toMatchObject({ status: 'HELD', buyerId: 'alice' });
    expect((await eventCounters(pool, ours))[0]).toMatchObject({ held: 1 });
    expect((await eventCounters(pool, theirs))[0]).toMatchObject({ held: 1 });
    expect(await invariantViolations(pool)).toEqual([]);
  });

  it('reports a command the database refuses as a refusal, naming the SQLSTATE, and writes nothing', async () => {
    const event = eventOnSale(uniqueName('refuse'));
    await provisionEvent({ pool, admin }, event);
    const fine = purchase('carol', 1);
    const failure = await applyShardBatch(
      pool,
      event,
      0,
      [fine, purchase('nul\u0000byte', 1)],
      new Date(),
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RefusedByStoreError);
    expect(failure).toMatchObject({ sqlState: '22021' });
    expect(await findOrder(pool, fine.orderId)).toBeUndefined();
  });
});

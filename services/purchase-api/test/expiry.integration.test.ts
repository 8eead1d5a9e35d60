import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseShardCommand, type EventDefinition } from '@boxoffice/inventory';
import { createPool } from '@boxoffice/platform/postgres';
import { applyShardBatch, eventCounters, eventTopic, findOrder, type SweepRound } from '@boxoffice/store';
import { dependencies, eventually, uniqueName } from '@boxoffice/testkit';
import type { Consumer, Producer, ProducerRecord } from 'kafkajs';
import type pg from 'pg';
import { eventOnSale, purchase } from '../../store/test/fixtures.ts';
import { purchaseApiConfig } from '../src/config.ts';
import { expirySweepRound } from '../src/expiry-sweeper.ts';
import { createPurchaseApi } from '../src/service.ts';
import { invariantViolations, PurchasePath } from './purchase-path.ts';

/** Every `hold.expire` on the event's topic, by order id, with the partitions it was sent to. */
async function watchExpiryCommands(
  path: PurchasePath,
  event: EventDefinition,
): Promise<{ consumer: Consumer; sent: Map<string, number[]> }> {
  const sent = new Map<string, number[]>();
  const consumer = path.kafka.consumer({ groupId: uniqueName('expiry-watch'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: eventTopic(event), fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const parsed = parseShardCommand(message.value);
      if (parsed.ok && parsed.command.kind === 'hold.expire')
        sent.set(parsed.command.orderId, [...(sent.get(parsed.command.orderId) ?? []), partition]);
    },
  });
  return { consumer, sent };
}

describe('holds expire while the allocator is scaled to zero (real Kafka, PostgreSQL, Redis)', () => {
  const path = new PurchasePath();
  const event = eventOnSale(uniqueName('idle'), {
    shards: 2,
    ticketTypes: [{ name: 'standard', priceMinor: 1500, currency: 'EUR', capacity: 4 }],
    sales: { ...eventOnSale('x').sales, holdTtlSeconds: 1 },
  });
  let api: Awaited<ReturnType<typeof createPurchaseApi>> | undefined;

  beforeAll(async () => {
    await path.start({ sweeper: false });
    await path.provision(event);
  });
  afterAll(async () => {
    await api?.stop();
    await path.stop();
  });

  /** purchase-api as assembled for production, with its sweeper every 200 ms. */
  const startPurchaseApi = async () => {
    const deps = dependencies();
    api = await createPurchaseApi({
      config: purchaseApiConfig.parse({
        DATABASE_URL: path.databaseUrl,
        REDIS_URL: deps.redisUrl,
        KAFKA_BROKERS: deps.kafkaBrokers.join(','),
        BOXOFFICE_PREFIX: path.prefix,
        JWT_SECRET: 'a-test-secret-that-is-at-least-32-characters-long',
        WEBHOOK_SECRET: 'webhook-secret-for-tests',
        EXPIRY_SWEEP_INTERVAL_MS: '200',
      }),
      pool: path.pool,
      redis: path.redis,
      producer: path.producer,
      logger: path.logger,
    });
  };

  it("sends the expired hold's command with no allocator running, and the next allocator returns the seats at once", async () => {
    const first = await path.startAllocator(event);
    const hold = await path.orders.place({
      event,
      buyerId: 'sleepy',
      ticketType: 'standard',
      quantity: 2,
      idempotencyKey: uniqueName('key'),
    });
    expect(hold).toMatchObject({ kind: 'accepted', order: { status: 'HELD' } });
    const orderId = (hold as { order: { id: string } }).order.id;
    const shard = (await findOrder(path.pool, orderId))!.shard;
    // KEDA's scale to zero: the event's only allocator leaves (before anything could expire the hold).
    await first.stop();
    path.allocators.splice(path.allocators.indexOf(first), 1);
    await startPurchaseApi();

    const watch = await watchExpiryCommands(path, event);
    try {
      await eventually(() => expect(watch.sent.get(orderId)).toEqual([shard]), { timeoutMs: 20_000 });
      // Nobody consumed it: the hold and its seats are still taken.
      expect((await findOrder(path.pool, orderId))?.status).toBe('HELD');
      expect((await eventCounters(path.pool, event))[0]).toMatchObject({ held: 2, remaining: 2 });

      // The lag wakes an allocator; the command waiting on its partition is all it needs.
      await path.startAllocator(event);
      await eventually(async () => expect((await findOrder(path.pool, orderId))?.status).toBe('EXPIRED'), {
        timeoutMs: 20_000,
      });
      expect(await eventCounters(path.pool, event)).toEqual([
        { ticketType: 'standard', capacity: 4, held: 0, sold: 0, remaining: 4 },
      ]);
      expect(await invariantViolations(path.pool)).toEqual([]);
    } finally {
      await watch.consumer.disconnect();
    }
  });
});

describe('two expiry sweepers on one database (real Kafka, PostgreSQL)', () => {
  const path = new PurchasePath();
  const event = eventOnSale(uniqueName('pair'), {
    shards: 3,
    sales: { ...eventOnSale('x').sales, holdTtlSeconds: 1 },
  });
  let pools: pg.Pool[] = [];

  /** A producer that records what it sends and, while `gate` is pending, waits before sending. */
  const recording = (gate?: Promise<void>) => {
    const records: ProducerRecord[] = [];
    let entered!: () => void;
    const sending = new Promise<void>((resolve) => (entered = resolve));
    const producer = {
      send: async (record: ProducerRecord) => {
        entered();
        await gate;
        records.push(record);
        return path.producer.send(record);
      },
    } as unknown as Producer;
    const orderIds = () =>
      records.flatMap((r) =>
        r.messages.map((m) => (JSON.parse(String(m.value)) as { orderId: string }).orderId),
      );
    return { producer, sending, orderIds };
  };
  const round = (pool: pg.Pool, producer: Producer, resendAfterMs = 60_000): Promise<SweepRound> =>
    expirySweepRound({ pool, producer, batchSize: 100, resendAfterMs, logger: path.logger });

  beforeAll(async () => {
    await path.start({ sweeper: false });
    await path.provision(event);
    pools = [createPool(path.databaseUrl, 2), createPool(path.databaseUrl, 2)];
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await path.stop();
  });

  it('lets one sweep at a time, never sends a hold twice in a walk, and sends what is still held when the walk starts over', async () => {
    // Holds taken two seconds ago with a one-second TTL on every shard, as the allocator writes them.
    const past = new Date(Date.now() - 2_000);
    const holds = [purchase('a'), purchase('b'), purchase('c')];
    for (const [shard, command] of holds.entries())
      await applyShardBatch(path.pool, event, shard, [command], past);
    const due = holds.map((h) => h.orderId).sort();

    let open!: () => void;
    const a = recording(new Promise<void>((resolve) => (open = resolve)));
    const b = recording();
    const roundA = round(pools[0]!, a.producer);
    await a.sending; // A holds the sweep and is producing
    expect(await round(pools[1]!, b.producer)).toEqual({ swept: false });
    open();
    expect(await roundA).toEqual({ swept: true, due: 3, restarted: false });
    expect(a.orderIds().sort()).toEqual(due);

    // The next round, on either replica, continues after what A sent.
    expect(await round(pools[1]!, b.producer)).toEqual({ swept: true, due: 0, restarted: false });
    expect(b.orderIds()).toEqual([]);

    // Still HELD (no allocator here) once the walk starts over: sent once more, by whoever sweeps.
    await eventually(
      async () =>
        expect(await round(pools[1]!, b.producer, 1_000)).toEqual({ swept: true, due: 3, restarted: true }),
      { timeoutMs: 10_000 },
    );
    expect(b.orderIds().sort()).toEqual(due);
  });
});

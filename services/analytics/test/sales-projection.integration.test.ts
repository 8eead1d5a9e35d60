import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newOrderId, type OrderEvent } from '@boxoffice/inventory';
import { createLogger } from '@boxoffice/platform/logger';
import { sharedTopics } from '@boxoffice/platform/kafka';
import { eventually, grantKafkaAcls, kafkaAs } from '@boxoffice/testkit';
import { Registry } from 'prom-client';
import { ensureTopic } from '@boxoffice/store';
import { eventOnSale } from '../../store/test/fixtures.ts';
import { PurchasePath } from '../../purchase-api/test/purchase-path.ts';
import { analyticsGroupId } from '../src/config.ts';
import { startAnalyticsConsumer, type AnalyticsConsumer } from '../src/consumer.ts';
import { analyticsMetrics, type AnalyticsMetrics } from '../src/metrics.ts';
import { clearSalesProjection } from '../src/projection-store.ts';

/** What the orders table says, per ticket type and channel, in the projection's terms. */
const FROM_ORDERS = `
  SELECT ticket_type, channel,
         count(*) FILTER (WHERE status <> 'REJECTED') AS held,
         count(*) FILTER (WHERE status = 'CONFIRMED') AS confirmed,
         count(*) FILTER (WHERE status = 'EXPIRED') AS expired,
         count(*) FILTER (WHERE status = 'RELEASED') AS released,
         coalesce(sum(quantity) FILTER (WHERE status = 'CONFIRMED'), 0) AS tickets_sold,
         coalesce(sum(amount_minor) FILTER (WHERE status = 'CONFIRMED'), 0)::numeric AS revenue_minor
    FROM orders o JOIN events e ON e.id = o.event_id
   WHERE e.namespace = $1 AND e.name = $2 AND status <> 'REJECTED'
   GROUP BY 1, 2 ORDER BY 1, 2`;
const FROM_PROJECTION = `
  SELECT ticket_type, channel, sum(held) AS held, sum(confirmed) AS confirmed, sum(expired) AS expired,
         sum(released) AS released, sum(tickets_sold) AS tickets_sold, sum(revenue_minor) AS revenue_minor
    FROM sales_by_minute WHERE namespace = $1 AND name = $2 GROUP BY 1, 2 ORDER BY 1, 2`;
const REJECTED_FROM_ORDERS = `
  SELECT ticket_type, channel, reject_reason AS reason, count(*) AS orders
    FROM orders o JOIN events e ON e.id = o.event_id
   WHERE e.namespace = $1 AND e.name = $2 AND status = 'REJECTED' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
const REJECTED_FROM_PROJECTION = `
  SELECT ticket_type, channel, reason, sum(orders) AS orders FROM sales_rejections_by_minute
   WHERE namespace = $1 AND name = $2 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
const WHOLE_PROJECTION = `
  SELECT * FROM sales_by_minute WHERE namespace = $1 ORDER BY name, minute, ticket_type, channel, currency`;

describe('sales analytics projection of the order events (real Kafka, PostgreSQL)', () => {
  const path = new PurchasePath();
  const event = eventOnSale(path.prefix, {
    name: 'flash',
    shards: 2,
    ticketTypes: [
      { name: 'standard', priceMinor: 2500, currency: 'EUR', capacity: 12 },
      { name: 'vip', priceMinor: 9900, currency: 'EUR', capacity: 3 },
    ],
    sales: { ...eventOnSale('x').sales, perBuyerLimit: 2, holdTtlSeconds: 4 },
  });
  const args = [event.namespace, event.name];
  let consumer: AnalyticsConsumer | undefined;
  let metrics: AnalyticsMetrics;
  const start = async (groupId: string) => {
    metrics = analyticsMetrics(new Registry());
    consumer = await startAnalyticsConsumer({
      kafka: kafkaAs('analytics', `${path.prefix}-analytics`),
      pool: path.pool,
      topic: sharedTopics(path.prefix).orderEvents,
      groupId,
      logger: createLogger('analytics', process.env.TEST_LOG_LEVEL ?? 'warn'),
      metrics,
    });
  };
  const counted = async (outcome: string) =>
    (await metrics.events.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  const rows = async (sql: string, values = args) => (await path.pool.query(sql, values)).rows;

  beforeAll(async () => {
    await path.start();
    await path.provision(event);
    await path.startAllocator(event);
    await start(analyticsGroupId(path.prefix));
  });
  afterAll(async () => {
    await consumer?.stop();
    await path.stop();
  });

  it('adds up a flash sale to what the orders table says', async () => {
    // 40 buyers at once, a quarter of them at the box office: more than the capacity, so some are rejected.
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        path.orders.place({
          event,
          buyerId: `buyer-${i}`,
          ticketType: i % 5 === 0 ? 'vip' : 'standard',
          quantity: 1 + (i % 2),
          idempotencyKey: newOrderId(),
          ...(i % 4 === 0 ? { channel: 'box-office' } : {}),
        }),
      ),
    );
    const held = results.flatMap((r, i) =>
      r.kind === 'accepted' ? [{ ...r.order, buyerId: `buyer-${i}` }] : [],
    );
    expect(held.length).toBeGreaterThan(4);
    // Some are paid, some released, the rest expire.
    const [paid, released] = [held.slice(0, Math.ceil(held.length / 2)), held.slice(-2)];
    const { rows: amounts } = await path.pool.query<{ id: string; amount_minor: string }>(
      'SELECT id, amount_minor FROM orders WHERE id = ANY($1::uuid[])',
      [paid.map((o) => o.id)],
    );
    await Promise.all([
      ...amounts.map((o) =>
        path.orders.payment({
          providerEventId: `pay-${o.id}`,
          orderId: o.id,
          outcome: 'succeeded',
          amountMinor: Number(o.amount_minor),
          currency: 'EUR',
        }),
      ),
      ...released.map((o) => path.orders.release(o.id, o.buyerId)),
    ]);
    await eventually(
      async () => expect(await rows(`SELECT 1 FROM orders WHERE status = 'HELD'`, [])).toEqual([]),
      {
        timeoutMs: 30_000,
      },
    );

    const fromOrders = await rows(FROM_ORDERS);
    expect(fromOrders.map((r) => r.channel)).toContain('box-office');
    expect(
      fromOrders.some((r) => Number(r.confirmed) > 0 && Number(r.expired) + Number(r.released) > 0),
    ).toBe(true);
    await eventually(async () => expect(await rows(FROM_PROJECTION)).toEqual(fromOrders), {
      timeoutMs: 30_000,
    });
    // Drained: nothing left behind on the topic's one partition, and every batch was timed.
    await eventually(async () =>
      expect((await metrics.lag.get()).values).toEqual([{ labels: { partition: '0' }, value: 0 }]),
    );
    expect(
      (await metrics.batchDuration.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value,
    ).toBeGreaterThan(0);
    const rejected = await rows(REJECTED_FROM_ORDERS);
    expect(rejected.length).toBeGreaterThan(0);
    expect(await rows(REJECTED_FROM_PROJECTION)).toEqual(rejected);
  });

  it('gives the same numbers when rebuilt from offset 0 into an empty projection', async () => {
    const before = await rows(WHOLE_PROJECTION, [event.namespace]);
    const rejectedBefore = await rows(REJECTED_FROM_PROJECTION);
    await consumer!.stop();
    await clearSalesProjection(path.pool);
    expect(await rows(WHOLE_PROJECTION, [event.namespace])).toEqual([]);
    await start(`${analyticsGroupId(path.prefix)}.rebuild`);
    await eventually(async () => expect(await rows(WHOLE_PROJECTION, [event.namespace])).toEqual(before), {
      timeoutMs: 30_000,
    });
    expect(await rows(REJECTED_FROM_PROJECTION)).toEqual(rejectedBefore);
  });

  it('counts a duplicated event once', async () => {
    const before = await rows(FROM_PROJECTION);
    const { rows: confirmed } = await path.pool.query(
      `SELECT o.id, o.ticket_type, o.quantity, o.amount_minor, o.channel FROM orders o
        WHERE status = 'CONFIRMED' LIMIT 1`,
    );
    const order = confirmed[0]!;
    // The same change produced again (a producer retry, a replayed batch): same order, same kind.
    const duplicate: OrderEvent = {
      v: 1,
      kind: 'order.confirmed',
      event: { namespace: event.namespace, name: event.name },
      orderId: order.id,
      at: new Date().toISOString(),
      ticketType: order.ticket_type,
      quantity: order.quantity,
      amountMinor: Number(order.amount_minor),
      currency: 'EUR',
      channel: order.channel,
    };
    // Then a change of another event, to know when the consumer has read past the duplicates.
    const sentinel: OrderEvent = {
      ...duplicate,
      event: { namespace: event.namespace, name: 'sentinel' },
      orderId: newOrderId(),
    };
    const producer = kafkaAs('allocator', `${path.prefix}-dup`).producer();
    await producer.connect();
    await producer.send({
      topic: sharedTopics(path.prefix).orderEvents,
      messages: [duplicate, duplicate].map((e) => ({ key: e.orderId, value: JSON.stringify(e) })),
    });
    await producer.send({
      topic: sharedTopics(path.prefix).orderEvents,
      messages: [{ key: sentinel.orderId, value: JSON.stringify(sentinel) }],
    });
    await producer.disconnect();
    await eventually(async () =>
      expect(await rows(FROM_PROJECTION, [event.namespace, 'sentinel'])).toHaveLength(1),
    );
    expect(await rows(FROM_PROJECTION)).toEqual(before);
    // Read once each: the consumer moves past what it applied instead of reading it again.
    expect(await counted('duplicate')).toBe(2);
  });

  it('waits for the order-events topic when it starts before the operator made it, then reads it', async () => {
    // An installation of its own, whose shared topics do not exist yet.
    const prefix = `${path.prefix}-late`;
    await grantKafkaAcls(prefix);
    const topic = sharedTopics(prefix).orderEvents;
    const late = startAnalyticsConsumer({
      kafka: kafkaAs('analytics', `${prefix}-analytics`),
      pool: path.pool,
      topic,
      groupId: analyticsGroupId(prefix),
      logger: createLogger('analytics', process.env.TEST_LOG_LEVEL ?? 'warn'),
      metrics: analyticsMetrics(new Registry()),
    });
    let started = false;
    void late.then(() => (started = true));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(started).toBe(false);
    const admin = kafkaAs('operator', `${prefix}-operator`).admin();
    await admin.connect();
    await ensureTopic(admin, topic, 1);
    await admin.disconnect();
    const consumer = await late;
    try {
      const producer = kafkaAs('allocator', `${prefix}-producer`).producer();
      await producer.connect();
      const held: OrderEvent = {
        v: 1,
        kind: 'order.held',
        event: { namespace: prefix, name: 'late' },
        orderId: newOrderId(),
        at: new Date().toISOString(),
        ticketType: 'standard',
        quantity: 1,
        amountMinor: 1500,
        currency: 'EUR',
      };
      await producer.send({ topic, messages: [{ key: held.orderId, value: JSON.stringify(held) }] });
      await producer.disconnect();
      await eventually(async () => {
        expect(consumer.joined()).toBe(true);
        expect(await rows(FROM_PROJECTION, [prefix, 'late'])).toHaveLength(1);
      });
    } finally {
      await consumer.stop();
    }
  });
});

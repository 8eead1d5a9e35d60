import { startAllocator, type Allocator } from '@boxoffice/allocator/allocator';
import { allocatorMetrics } from '@boxoffice/allocator/metrics';
import type { EventDefinition } from '@boxoffice/inventory';
import { createKafka, sharedTopics } from '@boxoffice/platform/kafka';
import { createLogger } from '@boxoffice/platform/logger';
import { createMetricsRegistry } from '@boxoffice/platform/metrics';
import { createPool } from '@boxoffice/platform/postgres';
import { createRedis } from '@boxoffice/platform/redis';
import { ensureTopic, migrate, provisionEvent } from '@boxoffice/store';
import { createTestDatabase, dependencies, uniqueName } from '@boxoffice/testkit';
import type { Redis } from 'ioredis';
import type { Kafka, Producer } from 'kafkajs';
import type pg from 'pg';
import { eventCatalog } from '../src/event-catalog.ts';
import { ordersService, type OrdersService } from '../src/orders-service.ts';
import { ReplyWaiter } from '../src/reply-waiter.ts';

/**
 * The real purchase path for a test: its own database, Redis key prefix and shared-topic prefix,
 * allocators started in-process against the real Kafka broker, and the orders service.
 */
export class PurchasePath {
  readonly prefix = uniqueName('pp');
  readonly logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'warn');
  pool!: pg.Pool;
  redis!: Redis;
  kafka!: Kafka;
  producer!: Producer;
  replies!: ReplyWaiter;
  orders!: OrdersService;
  databaseUrl!: string;
  readonly allocators: Allocator[] = [];

  async start(options: { replyTimeoutMs?: number } = {}): Promise<this> {
    const deps = dependencies();
    this.databaseUrl = await createTestDatabase(this.prefix);
    await migrate(this.databaseUrl);
    this.pool = createPool(this.databaseUrl, 20);
    this.redis = createRedis(deps.redisUrl, { name: 'test' });
    this.kafka = createKafka({ clientId: this.prefix, brokers: deps.kafkaBrokers, logger: this.logger });
    const admin = this.kafka.admin();
    await admin.connect();
    const topics = sharedTopics(this.prefix);
    await ensureTopic(admin, topics.orderEvents, 1);
    await ensureTopic(admin, topics.deadLetter, 1);
    await admin.disconnect();
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    this.replies = new ReplyWaiter(this.redis, `${this.prefix}:`);
    await this.replies.start();
    this.orders = ordersService({
      pool: this.pool,
      redis: this.redis,
      producer: this.producer,
      replies: this.replies,
      catalog: eventCatalog(this.pool, 1_000),
      prefix: `${this.prefix}:`,
      replyTimeoutMs: options.replyTimeoutMs ?? 5_000,
    });
    return this;
  }

  async provision(definition: EventDefinition): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    await provisionEvent({ pool: this.pool, admin }, definition);
    await admin.disconnect();
  }

  async startAllocator(event: { namespace: string; name: string }): Promise<Allocator> {
    const allocator = await startAllocator({
      event,
      pool: this.pool,
      kafka: this.kafka,
      redis: this.redis,
      prefix: `${this.prefix}:`,
      topics: sharedTopics(this.prefix),
      metrics: allocatorMetrics(createMetricsRegistry('allocator')),
      logger: this.logger,
      expirySweepIntervalMs: 200,
      partitionsConcurrently: 8,
    });
    this.allocators.push(allocator);
    return allocator;
  }

  async stop(): Promise<void> {
    await Promise.all(this.allocators.map((a) => a.stop()));
    this.replies.stop();
    await this.producer.disconnect();
    this.redis.disconnect();
    await this.pool.end();
  }
}

/** The brief's invariants, read from PostgreSQL (the source of truth). */
export async function invariantViolations(pool: pg.Pool): Promise<string[]> {
  const problems: string[] = [];
  const shards = await pool.query<{
    event_id: string;
    shard: number;
    ticket_type: string;
    capacity: number;
    held: number;
    sold: number;
    orders_held: string;
    orders_sold: string;
  }>(
    `SELECT s.event_id, s.shard, s.ticket_type, s.capacity, s.held, s.sold,
            coalesce((SELECT sum(quantity) FROM orders o WHERE o.event_id = s.event_id AND o.shard = s.shard AND o.ticket_type = s.ticket_type AND o.status = 'HELD'), 0) AS orders_held,
            coalesce((SELECT sum(quantity) FROM orders o WHERE o.event_id = s.event_id AND o.shard = s.shard AND o.ticket_type = s.ticket_type AND o.status = 'CONFIRMED'), 0) AS orders_sold
     FROM inventory_shards s`,
  );
  for (const s of shards.rows) {
    if (s.held + s.sold > s.capacity || s.held < 0 || s.sold < 0)
      problems.push(
        `shard ${s.shard} ${s.ticket_type}: held ${s.held} + sold ${s.sold} > capacity ${s.capacity}`,
      );
    if (Number(s.orders_held) !== s.held)
      problems.push(
        `shard ${s.shard} ${s.ticket_type}: counter held ${s.held} != HELD orders ${s.orders_held}`,
      );
    if (Number(s.orders_sold) !== s.sold)
      problems.push(
        `shard ${s.shard} ${s.ticket_type}: counter sold ${s.sold} != CONFIRMED orders ${s.orders_sold}`,
      );
  }
  const tickets = await pool.query<{ order_id: string; n: string; quantity: number; status: string }>(
    `SELECT o.id AS order_id, count(t.code) AS n, o.quantity, o.status FROM orders o LEFT JOIN tickets t ON t.order_id = o.id GROUP BY o.id`,
  );
  for (const t of tickets.rows) {
    const expected = t.status === 'CONFIRMED' ? t.quantity : 0;
    if (Number(t.n) !== expected && !(t.status === 'REFUND_REQUIRED' && Number(t.n) === 0))
      problems.push(`order ${t.order_id} (${t.status}) has ${t.n} tickets, expected ${expected}`);
  }
  const buyers = await pool.query<{ buyer_id: string; quantity: number; active: string; limit: number }>(
    `SELECT b.buyer_id, b.quantity, e.per_buyer_limit AS limit,
            coalesce((SELECT sum(quantity) FROM orders o WHERE o.event_id = b.event_id AND o.buyer_id = b.buyer_id AND o.status IN ('HELD', 'CONFIRMED')), 0) AS active
     FROM buyer_quantities b JOIN events e ON e.id = b.event_id`,
  );
  for (const b of buyers.rows) {
    if (Number(b.active) !== b.quantity)
      problems.push(`buyer ${b.buyer_id}: counter ${b.quantity} != active orders ${b.active}`);
    if (b.quantity > b.limit) problems.push(`buyer ${b.buyer_id}: ${b.quantity} over the limit ${b.limit}`);
  }
  return problems;
}

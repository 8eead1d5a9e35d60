import { startAllocator, type Allocator } from '@boxoffice/allocator/allocator';
import { allocatorMetrics } from '@boxoffice/allocator/metrics';
import type { EventDefinition } from '@boxoffice/inventory';
import { sharedTopics } from '@boxoffice/platform/kafka';
import { createLogger } from '@boxoffice/platform/logger';
import { createMetricsRegistry } from '@boxoffice/platform/metrics';
import { createPool } from '@boxoffice/platform/postgres';
import { createRedis } from '@boxoffice/platform/redis';
import { ensureTopic, migrate, provisionEvent } from '@boxoffice/store';
import { createTestDatabase, dependencies, grantKafkaAcls, kafkaAs, uniqueName } from '@boxoffice/testkit';
import type { Redis } from 'ioredis';
import type { Kafka, Producer } from 'kafkajs';
import type pg from 'pg';
import { eventCatalog } from '../src/event-catalog.ts';
import { startExpirySweeper, type ExpirySweeper } from '../src/expiry-sweeper.ts';
import { ordersService, type OrdersService } from '../src/orders-service.ts';
import { ReplyWaiter } from '../src/reply-waiter.ts';

/**
 * The real purchase path for a test: its own database, Redis key prefix and shared-topic prefix,
 * allocators started in-process against the real Kafka broker, the orders service and (unless
 * `sweeper: false`) purchase-api's expiry sweeper. Each part uses its component's Kafka principal
 * (purchase-api's producer, the allocators', the operator's for provisioning); `kafka` is the
 * superuser, for setting up and inspecting topics.
 */
export class PurchasePath {
  readonly prefix = uniqueName('pp');
  readonly logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'warn');
  pool!: pg.Pool;
  redis!: Redis;
  /** The superuser: shared topics, and tests that read topics (dead letters). */
  kafka!: Kafka;
  private allocatorKafka!: Kafka;
  producer!: Producer;
  replies!: ReplyWaiter;
  orders!: OrdersService;
  sweeper?: ExpirySweeper;
  databaseUrl!: string;
  readonly allocators: Allocator[] = [];

  /** `redisUrl`: a Redis of the test's own (one it stops and starts); default the shared one. */
  async start(
    options: { replyTimeoutMs?: number; sweeper?: boolean; redisUrl?: string } = {},
  ): Promise<this> {
    const deps = dependencies();
    this.databaseUrl = await createTestDatabase(this.prefix);
    await migrate(this.databaseUrl);
    this.pool = createPool(this.databaseUrl, 20);
    this.redis = createRedis(options.redisUrl ?? deps.redisUrl, { name: 'test' });
    this.kafka = kafkaAs('admin', this.prefix);
    await grantKafkaAcls(this.prefix);
    const admin = this.kafka.admin();
    await admin.connect();
    const topics = sharedTopics(this.prefix);
    await ensureTopic(admin, topics.orderEvents, 1);
    await ensureTopic(admin, topics.deadLetter, 1);
    await admin.disconnect();
    this.allocatorKafka = kafkaAs('allocator', `${this.prefix}-allocator`);
    this.producer = kafkaAs('purchase-api', `${this.prefix}-purchase-api`).producer();
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
      sendTimeoutMs: 5_000,
    });
    if (options.sweeper ?? true)
      this.sweeper = startExpirySweeper({
        pool: this.pool,
        producer: this.producer,
        intervalMs: 200,
        batchSize: 1_000,
        resendAfterMs: 5_000,
        logger: this.logger,
      });
    return this;
  }

  /** Provisions as the operator does, with the operator's principal. */
  async provision(definition: EventDefinition): Promise<void> {
    const admin = kafkaAs('operator', `${this.prefix}-operator`).admin();
    await admin.connect();
    await provisionEvent({ pool: this.pool, admin }, definition);
    await admin.disconnect();
  }

  async startAllocator(event: { namespace: string; name: string }): Promise<Allocator> {
    const allocator = await startAllocator({
      event,
      pool: this.pool,
      kafka: this.allocatorKafka,
      redis: this.redis,
      prefix: `${this.prefix}:`,
      topics: sharedTopics(this.prefix),
      metrics: allocatorMetrics(createMetricsRegistry('allocator')),
      logger: this.logger,
      partitionsConcurrently: 8,
    });
    this.allocators.push(allocator);
    return allocator;
  }

  async stop(): Promise<void> {
    await this.sweeper?.stop();
    await Promise.all(this.allocators.map((a) => a.stop()));
    this.replies.stop();
    this.orders.stop();
    await this.producer.disconnect();
    this.redis.disconnect();
    await this.pool.end();
  }
}

export { invariantViolations } from '@boxoffice/store';

import { jwtVerifierFromEnv } from '@boxoffice/platform/auth/jwt-env';
import { createHttpApp, type HttpApp } from '@boxoffice/platform/http/app';
import { perIpRateLimit } from '@boxoffice/platform/http/rate-limit';
import type { Logger } from '@boxoffice/platform/logger';
import { createMetricsRegistry } from '@boxoffice/platform/metrics';
import { redisAnswers, redisKeyPrefix } from '@boxoffice/platform/redis';
import type { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import type pg from 'pg';
import type { PurchaseApiConfig } from './config.ts';
import { eventCatalog } from './event-catalog.ts';
import { startExpirySweeper } from './expiry-sweeper.ts';
import { purchaseApiMetrics } from './metrics.ts';
import { ordersService } from './orders-service.ts';
import { ReplyWaiter } from './reply-waiter.ts';
import { purchaseRoutes } from './routes.ts';
import { waitingListService } from './waiting-list-service.ts';
import { startWaitingListSweeper } from './waiting-list-sweeper.ts';

/**
 * purchase-api assembled from its dependencies (used by main.ts and by the HTTP tests): the HTTP
 * app, the expiry sweeper and the waiting-list sweeper, which run here because purchase-api is
 * always running while an event's allocator may be scaled to zero.
 */
export async function createPurchaseApi(deps: {
  config: PurchaseApiConfig;
  pool: pg.Pool;
  redis: Redis;
  producer: Producer;
  logger: Logger;
}): Promise<{ http: HttpApp; stop: () => Promise<void> }> {
  const { config } = deps;
  const prefix = redisKeyPrefix(config.BOXOFFICE_PREFIX);
  const replies = new ReplyWaiter(deps.redis, prefix);
  await replies.start();
  const registry = createMetricsRegistry('purchase-api');
  const metrics = purchaseApiMetrics(registry);
  const sweeper = startExpirySweeper({
    pool: deps.pool,
    producer: deps.producer,
    intervalMs: config.EXPIRY_SWEEP_INTERVAL_MS,
    batchSize: config.EXPIRY_SWEEP_BATCH_SIZE,
    resendAfterMs: config.EXPIRY_RESEND_AFTER_MS,
    logger: deps.logger,
    commands: metrics.expiryCommands,
    rounds: metrics.expirySweeps,
  });
  const waitingListSweeper = startWaitingListSweeper({
    pool: deps.pool,
    producer: deps.producer,
    intervalMs: config.EXPIRY_SWEEP_INTERVAL_MS,
    resendAfterMs: config.EXPIRY_RESEND_AFTER_MS,
    logger: deps.logger,
  });
  const verifier = jwtVerifierFromEnv(config);
  const catalog = eventCatalog(deps.pool, 1_000);
  const orders = ordersService({
    pool: deps.pool,
    redis: deps.redis,
    producer: deps.producer,
    replies,
    catalog,
    prefix,
    replyTimeoutMs: config.REPLY_TIMEOUT_MS,
    sendTimeoutMs: config.KAFKA_SEND_TIMEOUT_MS,
  });
  const waitingList = waitingListService({
    pool: deps.pool,
    producer: deps.producer,
    replies,
    catalog,
    replyTimeoutMs: config.REPLY_TIMEOUT_MS,
  });
  const http = createHttpApp({
    routes: purchaseRoutes({
      orders,
      waitingList,
      pool: deps.pool,
      verifier,
      redis: deps.redis,
      webhookSecret: config.WEBHOOK_SECRET,
      perBuyerPerSecond: config.RATE_LIMIT_PER_BUYER_PER_SECOND,
      salesChannels: config.SALES_CHANNELS,
      outcomes: metrics.orderAnswers,
    }),
    openapi: { title: 'boxoffice purchase-api', version: '1.0.0' },
    logger: deps.logger,
    registry,
    trustedProxies: config.TRUSTED_PROXIES,
    middleware: [
      perIpRateLimit({ redis: deps.redis, points: config.RATE_LIMIT_PER_IP_PER_SECOND, durationSeconds: 1 }),
    ],
    checks: [
      { name: 'postgres', check: async () => (await deps.pool.query('SELECT 1')).rowCount === 1 },
      // Purchases go on without Redis (docs/reliability.md): degraded, not unready.
      { name: 'redis', check: () => redisAnswers(deps.redis), optional: true },
    ],
  });
  return {
    http,
    /** Stops the sweeper (after its round in progress) and the reply and availability subscriptions. */
    stop: async () => {
      await sweeper.stop();
      await waitingListSweeper.stop();
      replies.stop();
      orders.stop();
    },
  };
}

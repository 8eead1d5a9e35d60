import { jwtVerifierFromEnv } from '@boxoffice/platform/auth/jwt-env';
import { availabilityCache } from '@boxoffice/platform/availability-cache';
import { offersChannel } from '@boxoffice/platform/waiting-list-offers';
import { createHttpApp, type HttpApp } from '@boxoffice/platform/http/app';
import { perBuyerRateLimit, perIpRateLimit } from '@boxoffice/platform/http/rate-limit';
import type { Logger } from '@boxoffice/platform/logger';
import { createMetricsRegistry } from '@boxoffice/platform/metrics';
import { redisAnswers, redisKeyPrefix } from '@boxoffice/platform/redis';
import { RedisSubscriber } from '@boxoffice/platform/redis-subscriber';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { Gauge } from 'prom-client';
import type { QueryApiConfig } from './config.ts';
import { queryRoutes } from './routes.ts';
import { StreamSlots } from './stream-slots.ts';

/** query-api assembled from its dependencies (used by main.ts and by tests). */
export function createQueryApi(deps: {
  config: QueryApiConfig;
  pool: pg.Pool;
  redis: Redis;
  logger: Logger;
}): { http: HttpApp; stop: () => void } {
  const { config } = deps;
  const prefix = redisKeyPrefix(config.BOXOFFICE_PREFIX);
  const verifier = jwtVerifierFromEnv(config);
  const registry = createMetricsRegistry('query-api');
  // Every availability stream of this instance is served from this one connection.
  const subscriber = new RedisSubscriber(deps.redis);
  const slots = new StreamSlots({
    perInstance: config.SSE_MAX_STREAMS,
    perClient: config.SSE_MAX_STREAMS_PER_CLIENT,
  });
  new Gauge({
    name: 'boxoffice_sse_streams_open',
    help: 'Availability streams this instance serves now',
    registers: [registry],
    collect() {
      this.set(slots.open);
    },
  });
  // Its own budgets, apart from purchase-api's: reading orders must not use up buying.
  const limits = { redis: deps.redis, keyPrefix: `${prefix}boxoffice:rate:query`, durationSeconds: 1 };
  const shutdown = new AbortController();
  const http = createHttpApp({
    routes: queryRoutes({
      pool: deps.pool,
      verifier,
      perBuyer: [perBuyerRateLimit({ ...limits, points: config.RATE_LIMIT_PER_BUYER_PER_SECOND })],
      streams: {
        pool: deps.pool,
        subscriber,
        availability: availabilityCache(deps.redis, prefix),
        offersChannel: (eventKey: string) => offersChannel(prefix, eventKey),
        slots,
        heartbeatMs: config.SSE_HEARTBEAT_MS,
        shutdown: shutdown.signal,
      },
    }),
    openapi: { title: 'boxoffice query-api', version: '1.0.0' },
    logger: deps.logger,
    registry,
    trustedProxies: config.TRUSTED_PROXIES,
    middleware: [perIpRateLimit({ ...limits, points: config.RATE_LIMIT_PER_IP_PER_SECOND })],
    checks: [
      { name: 'postgres', check: async () => (await deps.pool.query('SELECT 1')).rowCount === 1 },
      // Without Redis every read still works; only live stream updates pause (degraded).
      { name: 'redis', check: () => redisAnswers(deps.redis), optional: true },
    ],
  });
  http.shutdownSignal.addEventListener('abort', () => shutdown.abort(), { once: true });
  return { http, stop: () => subscriber.stop() };
}

import { jwtVerifierFromEnv } from '@boxoffice/platform/auth/jwt-env';
import { availabilityCache } from '@boxoffice/platform/availability-cache';
import { createHttpApp, type HttpApp } from '@boxoffice/platform/http/app';
import type { Logger } from '@boxoffice/platform/logger';
import { createMetricsRegistry } from '@boxoffice/platform/metrics';
import { redisKeyPrefix } from '@boxoffice/platform/redis';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { QueryApiConfig } from './config.ts';
import { queryRoutes } from './routes.ts';

/** query-api assembled from its dependencies (used by main.ts and by tests). */
export function createQueryApi(deps: {
  config: QueryApiConfig;
  pool: pg.Pool;
  redis: Redis;
  logger: Logger;
}): HttpApp {
  const { config } = deps;
  const verifier = jwtVerifierFromEnv(config);
  const shutdown = new AbortController();
  const http = createHttpApp({
    routes: queryRoutes({
      pool: deps.pool,
      verifier,
      redis: deps.redis,
      availability: availabilityCache(deps.redis, redisKeyPrefix(config.BOXOFFICE_PREFIX)),
      heartbeatMs: config.SSE_HEARTBEAT_MS,
      shutdown: shutdown.signal,
    }),
    openapi: { title: 'boxoffice query-api', version: '1.0.0' },
    logger: deps.logger,
    registry: createMetricsRegistry('query-api'),
    checks: [{ name: 'postgres', check: async () => (await deps.pool.query('SELECT 1')).rowCount === 1 }],
  });
  http.shutdownSignal.addEventListener('abort', () => shutdown.abort(), { once: true });
  return http;
}

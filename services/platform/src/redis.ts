import { Redis } from 'ioredis';

/**
 * Redis is a cache and fan-out, never the source of truth: commands fail fast instead of queueing
 * while it is down, so callers fall back to PostgreSQL.
 */
export function createRedis(url: string, options: { name: string }): Redis {
  const redis = new Redis(url, {
    connectionName: options.name,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    // Commands issued in the same tick (rate limits and idempotency keys of concurrent requests)
    // go out in one write: under load, far fewer syscalls for the API and for Redis.
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  });
  redis.on('error', () => undefined); // reconnects on its own; readiness reports the state
  return redis;
}

/** Redis key and channel prefix for an installation prefix (BOXOFFICE_PREFIX). */
export function redisKeyPrefix(prefix: string): string {
  return prefix ? `${prefix}:` : '';
}

import { Redis } from 'ioredis';

/** Longest a command may take before its caller gets an error (and takes its fallback). */
const COMMAND_TIMEOUT_MS = 1_000;

/**
 * Redis is a cache and fan-out, never the source of truth: while it is down, commands fail at once
 * instead of queueing, so callers fall back (PostgreSQL, an in-memory budget, a 202) at full speed.
 * Only before the first connection are commands queued, so start-up order does not matter; and no
 * command waits longer than `COMMAND_TIMEOUT_MS`, so a Redis that hangs cannot hang a request.
 */
export function createRedis(url: string, options: { name: string }): Redis {
  const redis = new Redis(url, {
    connectionName: options.name,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    commandTimeout: COMMAND_TIMEOUT_MS,
    // Commands issued in the same tick (rate limits and idempotency keys of concurrent requests)
    // go out in one write: under load, far fewer syscalls for the API and for Redis.
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  });
  redis.on('error', () => undefined); // reconnects on its own; readiness reports the state
  // ioredis reads this option on every command; once connected, an outage must fail fast. (A
  // `duplicate()` made later inherits it: subscribe through RedisSubscriber, which needs no queue.)
  redis.once('ready', () => (redis.options.enableOfflineQueue = false));
  return redis;
}

/** Redis key and channel prefix for an installation prefix (BOXOFFICE_PREFIX). */
export function redisKeyPrefix(prefix: string): string {
  return prefix ? `${prefix}:` : '';
}

/** A readiness check that reports whether Redis answers. */
export async function redisAnswers(redis: Redis): Promise<boolean> {
  return (await redis.ping()) === 'PONG';
}

/**
 * Per-buyer and per-IP rate limits, counted in Redis so every replica shares the budget.
 * When Redis is unreachable each replica falls back to its own in-memory budget (the
 * library's insurance limiter): limits stay roughly in force and buying keeps working,
 * as "losing Redis loses nothing" requires.
 */
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../errors/app-error.ts';
import { PlatformErrors } from '../errors/platform-errors.ts';
import { buyerOf } from '../auth/jwt.ts';
import { documented, type DocumentedMiddleware } from './route.ts';

export interface RateLimitRule {
  /** Requests allowed per window. */
  points: number;
  durationSeconds: number;
  /** Once exceeded, refuse for this long instead of until the window ends. */
  blockSeconds?: number;
}

export interface RateLimitOptions extends RateLimitRule {
  redis: Redis;
  /** Names the budget in keys and in problem documents, e.g. 'buyer' or 'ip'. */
  name: string;
  /** Redis key namespace; tests pass a unique one. */
  keyPrefix?: string;
  /** Whose budget a request spends; undefined skips the limit for that request. */
  key: (req: Request, res: Response) => string | undefined;
}

function retryAfterSeconds(result: RateLimiterRes): number {
  return Math.max(1, Math.ceil(result.msBeforeNext / 1000));
}

export function rateLimit(options: RateLimitOptions): DocumentedMiddleware {
  const keyPrefix = `${options.keyPrefix ?? 'boxoffice:rate'}:${options.name}`;
  const rule = {
    points: options.points,
    duration: options.durationSeconds,
    ...(options.blockSeconds === undefined ? {} : { blockDuration: options.blockSeconds }),
  };
  const limiter = new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix,
    ...rule,
    // Fail over at once instead of queueing behind a reconnecting client.
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, ...rule }),
  });

  return documented(
    async (req, res, next) => {
      const key = options.key(req, res);
      if (key === undefined) {
        next();
        return;
      }
      let result: RateLimiterRes;
      let allowed = true;
      try {
        result = await limiter.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        result = rejection;
        allowed = false;
      }
      const reset = String(Math.ceil(result.msBeforeNext / 1000));
      const remaining = Math.max(0, result.remainingPoints);
      // With several limits on one route, the headers describe the tightest.
      const shown = Number(res.get('RateLimit-Remaining') ?? Infinity);
      if (remaining <= shown)
        res.set({
          'RateLimit-Limit': String(options.points),
          'RateLimit-Remaining': String(remaining),
          'RateLimit-Reset': reset,
        });
      if (allowed) {
        next();
        return;
      }
      const retryAfter = retryAfterSeconds(result);
      throw new AppError(PlatformErrors.RateLimited, {
        detail: `The ${options.name} limit of ${options.points} requests per ${options.durationSeconds}s is reached; retry in ${retryAfter}s`,
        extensions: { limit: options.name },
        headers: { 'Retry-After': String(retryAfter) },
      });
    },
    { problems: [PlatformErrors.RateLimited] },
  );
}

export type ScopedRateLimitOptions = Omit<RateLimitOptions, 'key' | 'name'> & { name?: string };

/** Counts by client address (`req.ip`, which honours the app's `trust proxy`); mount before authentication. */
export function perIpRateLimit(options: ScopedRateLimitOptions): DocumentedMiddleware {
  return rateLimit({ name: 'ip', ...options, key: (req) => req.ip ?? req.socket.remoteAddress });
}

/** Counts by authenticated buyer; mount after `requireBuyer`. */
export function perBuyerRateLimit(options: ScopedRateLimitOptions): DocumentedMiddleware {
  return rateLimit({ name: 'buyer', ...options, key: (_req, res) => buyerOf(res).buyerId });
}

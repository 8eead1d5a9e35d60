import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { dependencies, uniqueName } from '@boxoffice/testkit';
import { problemHandler } from './problem.ts';
import { perBuyerRateLimit, perIpRateLimit, rateLimit } from './rate-limit.ts';

describe('rate limits in Redis (real server)', () => {
  const redis = new Redis(dependencies().redisUrl);
  const keyPrefix = uniqueName('rate');
  beforeAll(async () => {
    // Until the client is ready the limiter counts in memory (it never waits on Redis).
    await redis.ping();
  });
  afterAll(() => {
    redis.disconnect();
  });

  /** A buyer "authenticated" by a header, standing in for requireBuyer in front of the per-buyer limit. */
  function app(options: { ipPoints?: number; buyerPoints?: number; prefix?: string; client?: Redis }) {
    const prefix = options.prefix ?? uniqueName(keyPrefix);
    const client = options.client ?? redis;
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use(
      perIpRateLimit({
        redis: client,
        keyPrefix: prefix,
        points: options.ipPoints ?? 100,
        durationSeconds: 60,
      }),
    );
    app.use((req, res, next) => {
      res.locals.buyer = { buyerId: req.get('x-buyer') ?? 'anonymous', scopes: [], claims: {} };
      next();
    });
    app.use(
      perBuyerRateLimit({
        redis: client,
        keyPrefix: prefix,
        points: options.buyerPoints ?? 100,
        durationSeconds: 60,
      }),
    );
    app.get('/orders', (_req, res) => {
      res.json({ ok: true });
    });
    app.use(problemHandler());
    return app;
  }

  it('lets a buyer through up to the limit, then answers 429 with Retry-After', async () => {
    const server = app({ buyerPoints: 3 });
    for (let i = 0; i < 3; i++) {
      const response = await request(server).get('/orders').set('x-buyer', 'alice');
      expect(response.status).toBe(200);
      expect(response.headers['ratelimit-remaining']).toBe(String(2 - i));
    }
    const refused = await request(server).get('/orders').set('x-buyer', 'alice');
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body).toMatchObject({
      type: 'https://boxoffice.dev/problems/rate-limited',
      status: 429,
      code: 'rate-limited',
      limit: 'buyer',
    });
  });

  it('keeps each buyer on their own budget', async () => {
    const server = app({ buyerPoints: 1 });
    expect((await request(server).get('/orders').set('x-buyer', 'alice')).status).toBe(200);
    expect((await request(server).get('/orders').set('x-buyer', 'alice')).status).toBe(429);
    expect((await request(server).get('/orders').set('x-buyer', 'bob')).status).toBe(200);
  });

  it('limits a client address across buyers, using the forwarded address behind a trusted proxy', async () => {
    const server = app({ ipPoints: 2 });
    const from = (ip: string, buyer: string) =>
      request(server).get('/orders').set('x-forwarded-for', ip).set('x-buyer', buyer);
    expect((await from('203.0.113.7', 'a')).status).toBe(200);
    expect((await from('203.0.113.7', 'b')).status).toBe(200);
    const refused = await from('203.0.113.7', 'c');
    expect(refused.status).toBe(429);
    expect(refused.body.limit).toBe('ip');
    expect((await from('198.51.100.1', 'a')).status).toBe(200);
  });

  it('shares the budget between replicas through Redis', async () => {
    const prefix = uniqueName(keyPrefix);
    const replicaA = app({ buyerPoints: 2, prefix });
    const replicaB = app({ buyerPoints: 2, prefix });
    expect((await request(replicaA).get('/orders').set('x-buyer', 'carol')).status).toBe(200);
    expect((await request(replicaB).get('/orders').set('x-buyer', 'carol')).status).toBe(200);
    expect((await request(replicaA).get('/orders').set('x-buyer', 'carol')).status).toBe(429);
    expect(await redis.exists(`${prefix}:buyer:carol`)).toBe(1);
  });

  it('counts concurrent requests exactly: a burst of 50 admits the limit and no more', async () => {
    const server = app({ buyerPoints: 20 });
    const statuses = await Promise.all(
      Array.from({ length: 50 }, () => request(server).get('/orders').set('x-buyer', 'dave')),
    ).then((responses) => responses.map((response) => response.status));
    expect(statuses.filter((status) => status === 200)).toHaveLength(20);
    expect(statuses.filter((status) => status === 429)).toHaveLength(30);
  });

  it('keeps limiting from memory, per replica, when Redis is unreachable', async () => {
    // A client pointed at a port nothing listens on: the insurance limiter takes over at once.
    const unreachable = new Redis({
      port: 1,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    unreachable.on('error', () => undefined);
    try {
      const server = app({ buyerPoints: 2, client: unreachable });
      expect((await request(server).get('/orders').set('x-buyer', 'erin')).status).toBe(200);
      expect((await request(server).get('/orders').set('x-buyer', 'erin')).status).toBe(200);
      expect((await request(server).get('/orders').set('x-buyer', 'erin')).status).toBe(429);
    } finally {
      unreachable.disconnect();
    }
  });

  it('skips requests without a key', async () => {
    const server = express();
    server.use(
      rateLimit({
        redis,
        keyPrefix: uniqueName(keyPrefix),
        name: 'partner',
        points: 1,
        durationSeconds: 60,
        key: (req) => req.get('x-partner'),
      }),
    );
    server.get('/', (_req, res) => {
      res.send('ok');
    });
    server.use(problemHandler());
    expect((await request(server).get('/')).status).toBe(200);
    expect((await request(server).get('/')).status).toBe(200);
  });
});

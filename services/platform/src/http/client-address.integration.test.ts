import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import request from 'supertest';
import { dependencies, uniqueName } from '@boxoffice/testkit';
import { createHttpApp } from './app.ts';
import { perIpRateLimit } from './rate-limit.ts';
import { defineRoute, type AnyRoute } from './route.ts';

describe('client addresses for per-IP limits (real Redis)', () => {
  const redis = new Redis(dependencies().redisUrl);
  beforeAll(async () => {
    await redis.ping(); // until then the limiter would count in memory
  });
  afterAll(() => {
    redis.disconnect();
  });

  /** An API allowing two requests per client address, behind the given trusted proxies. */
  function api(trustedProxies?: string[]) {
    const routes = [
      defineRoute({
        operationId: 'ping',
        method: 'get',
        path: '/v1/ping',
        summary: 'Answers',
        responses: { 200: { description: 'ok' } },
        handler: (_input, req, res) => res.json({ ip: req.ip }),
      }),
    ] as AnyRoute[];
    const limit = perIpRateLimit({
      redis,
      keyPrefix: uniqueName('client-ip'),
      points: 2,
      durationSeconds: 60,
    });
    const http = createHttpApp({
      routes,
      openapi: { title: 'test', version: '0' },
      logger: pino({ level: 'silent' }),
      middleware: [limit],
      ...(trustedProxies ? { trustedProxies } : {}),
    });
    return (forwardedFor: string) => request(http.app).get('/v1/ping').set('x-forwarded-for', forwardedFor);
  }

  it('limits a peer that is not a trusted proxy by its own address, whatever X-Forwarded-For it sends', async () => {
    const from = api();
    const first = await from('203.0.113.1');
    expect(first.status).toBe(200);
    expect(first.body.ip).toMatch(/127\.0\.0\.1$/);
    expect((await from('203.0.113.2')).status).toBe(200);
    const refused = await from('203.0.113.3');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'rate-limited', limit: 'ip' });
  });

  it('limits by the forwarded address when the peer is a trusted proxy', async () => {
    const from = api(['127.0.0.1']);
    const first = await from('203.0.113.7');
    expect(first.status).toBe(200);
    expect(first.body.ip).toBe('203.0.113.7');
    expect((await from('203.0.113.7')).status).toBe(200);
    expect((await from('203.0.113.7')).status).toBe(429);
    expect((await from('198.51.100.1')).status).toBe(200);
  });

  it('takes the address the trusted proxy saw, not one the client put in front of it', async () => {
    // The proxy appends the address it accepted the connection from; earlier entries are the client's.
    const from = api(['127.0.0.1']);
    expect((await from('192.0.2.1, 203.0.113.9')).status).toBe(200);
    expect((await from('192.0.2.2, 203.0.113.9')).status).toBe(200);
    const refused = await from('192.0.2.3, 203.0.113.9');
    expect(refused.status).toBe(429);
  });

  it('trusts only the configured proxies, not every private or loopback hop', async () => {
    const from = api(['10.0.0.0/8']);
    expect((await from('203.0.113.20')).body.ip).toMatch(/127\.0\.0\.1$/);
  });
});

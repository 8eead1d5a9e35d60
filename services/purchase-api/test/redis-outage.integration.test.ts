import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signLocalToken } from '@boxoffice/platform/auth/jwt';
import type { RunningHttpServer } from '@boxoffice/platform/http/app';
import { createRedis } from '@boxoffice/platform/redis';
import { DedicatedRedis, dependencies, eventually, uniqueName } from '@boxoffice/testkit';
import type { Redis } from 'ioredis';
import { queryApiConfig } from '../../query-api/src/config.ts';
import { createQueryApi } from '../../query-api/src/service.ts';
import { openStream } from '../../query-api/test/sse-client.ts';
import { eventOnSale } from '../../store/test/fixtures.ts';
import { purchaseApiConfig } from '../src/config.ts';
import { createPurchaseApi } from '../src/service.ts';
import { invariantViolations, PurchasePath } from './purchase-path.ts';

const secret = 'a-test-secret-that-is-at-least-32-characters-long';
const REPLY_TIMEOUT_MS = 5_000;

/**
 * Redis stopped (the process, not just its data) under purchase-api, query-api and an allocator:
 * what docs/reliability.md promises. The suite has a Redis of its own, so the others keep theirs.
 */
describe('with Redis stopped (a real Redis process stopped and started again)', () => {
  const path = new PurchasePath();
  const event = eventOnSale(uniqueName('outage'), {
    shards: 2,
    ticketTypes: [{ name: 'standard', priceMinor: 1000, currency: 'EUR', capacity: 100 }],
  });
  let redisServer: DedicatedRedis;
  const closers: (() => Promise<void> | void)[] = [];
  let purchase: RunningHttpServer;
  let query: RunningHttpServer;

  const env = () => ({
    DATABASE_URL: path.databaseUrl,
    REDIS_URL: redisServer.url,
    KAFKA_BROKERS: dependencies().kafkaBrokers.join(','),
    BOXOFFICE_PREFIX: path.prefix,
    JWT_SECRET: secret,
  });

  async function startPurchaseApi(redis: Redis): Promise<RunningHttpServer> {
    const api = await createPurchaseApi({
      config: purchaseApiConfig.parse({
        ...env(),
        WEBHOOK_SECRET: 'webhook-secret-for-tests',
        REPLY_TIMEOUT_MS: String(REPLY_TIMEOUT_MS),
        RATE_LIMIT_PER_BUYER_PER_SECOND: '100',
        RATE_LIMIT_PER_IP_PER_SECOND: '10000',
      }),
      pool: path.pool,
      redis,
      producer: path.producer,
      logger: path.logger,
    });
    const server = await api.http.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => server.close({ drainDelayMs: 0, timeoutMs: 2_000 }), api.stop);
    return server;
  }

  const order = async (
    server: RunningHttpServer,
    buyer: string,
    key = uniqueName('key'),
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    // A request that hung would fail the test here instead of passing late.
    const response = await fetch(`${server.url}/v1/events/${event.namespace}/${event.name}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await signLocalToken({ secret, issuer: 'boxoffice-local', audience: 'boxoffice', buyerId: buyer })}`,
        'idempotency-key': key,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ ticketType: 'standard', quantity: 1 }),
      signal: AbortSignal.timeout(15_000),
    });
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  const ready = async (server: RunningHttpServer) => {
    const response = await fetch(`${server.url}/readyz`);
    return {
      status: response.status,
      body: (await response.json()) as { status: string; checks: unknown[] },
    };
  };
  const finalStatus = async (orderId: unknown): Promise<string | undefined> =>
    (await path.pool.query<{ status: string }>('SELECT status FROM orders WHERE id = $1', [orderId])).rows[0]
      ?.status;

  beforeAll(async () => {
    redisServer = await DedicatedRedis.start('purchase-api-outage');
    await path.start({ redisUrl: redisServer.url });
    await path.provision(event);
    await path.startAllocator(event);
    purchase = await startPurchaseApi(path.redis);
    const queryApi = createQueryApi({
      config: queryApiConfig.parse(env()),
      pool: path.pool,
      redis: path.redis,
      logger: path.logger,
    });
    query = await queryApi.http.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => query.close({ drainDelayMs: 0, timeoutMs: 2_000 }), queryApi.stop);
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await path.stop();
    await redisServer.stop();
  });

  it('keeps selling (answers read from PostgreSQL), loses nothing, says "degraded", and recovers when Redis returns', async () => {
    await eventually(async () => expect((await order(purchase, 'before')).status).toBe(201));
    expect(await ready(purchase)).toMatchObject({ status: 200, body: { status: 'ready' } });
    const stream = await openStream(
      `${query.url}/v1/events/${event.namespace}/${event.name}/availability/stream`,
    );
    await stream.waitFor((e) => e.event === 'snapshot');

    await redisServer.stop();
    await eventually(() => expect(path.redis.status).not.toBe('ready'));

    // Readiness tells the truth: still serving, without its cache.
    for (const server of [purchase, query])
      expect(await ready(server)).toEqual({
        status: 200,
        body: {
          status: 'degraded',
          checks: [
            { name: 'postgres', status: 'ok' },
            { name: 'redis', status: expect.stringMatching(/failed|timeout/), optional: true },
          ],
        },
      });

    // Accepted without Redis: no reply can come, so the hold is read from PostgreSQL (201).
    const during = await Promise.all(Array.from({ length: 12 }, (_, i) => order(purchase, `buyer-${i}`)));
    for (const answer of during)
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 201,
        body: { id: expect.any(String), status: 'HELD', expiresAt: expect.any(String) },
      });

    // Idempotency holds without the key cache: concurrent and later retries get the one order.
    const retries = await Promise.all([1, 2, 3].map(() => order(purchase, 'retrier', 'retry-key')));
    const retriedLater = await order(purchase, 'retrier', 'retry-key');
    expect([...retries, retriedLater].map((answer) => answer.status)).toEqual([201, 201, 201, 201]);
    const ids = new Set([...retries, retriedLater].map((answer) => answer.body.id));
    expect(ids.size).toBe(1);

    // Nothing accepted is lost: each reaches its final state in PostgreSQL, visible at its Location.
    const accepted = [...during.map((answer) => answer.body.id), ...ids];
    await eventually(async () => {
      for (const id of accepted) expect(await finalStatus(id)).toBe('HELD');
    });
    const owner = await signLocalToken({
      secret,
      issuer: 'boxoffice-local',
      audience: 'boxoffice',
      buyerId: 'buyer-0',
    });
    const polled = await fetch(`${query.url}/v1/orders/${String(during[0]!.body.id)}`, {
      headers: { authorization: `Bearer ${owner}` },
    });
    expect(polled.status).toBe(200);
    expect(await polled.json()).toMatchObject({ status: 'HELD' });
    expect(
      (
        await path.pool.query(
          `SELECT count(*)::int AS n FROM orders WHERE buyer_id = 'retrier' AND idempotency_key = 'retry-key'`,
        )
      ).rows[0],
    ).toEqual({ n: 1 });

    // Redis returns: without restarting anything, replies, readiness and live updates come back.
    const shardEventsBefore = stream.events.filter((e) => e.event === 'shard').length;
    await redisServer.start();
    for (const server of [purchase, query])
      await eventually(async () => expect(await ready(server)).toMatchObject({ body: { status: 'ready' } }));
    await eventually(async () => expect((await order(purchase, 'after')).status).toBe(201));
    await stream.waitFor((e) => e.event === 'snapshot' && stream.events.indexOf(e) > 0);
    await eventually(() =>
      expect(stream.events.filter((e) => e.event === 'shard').length).toBeGreaterThan(shardEventsBefore),
    );
    stream.close();
    expect(await invariantViolations(path.pool)).toEqual([]);
  });

  it('starts without Redis, serving purchases, and picks Redis up when it comes', async () => {
    await redisServer.stop();
    const redis = createRedis(redisServer.url, { name: 'test-late' });
    closers.push(() => redis.disconnect());
    const late = await startPurchaseApi(redis);
    expect(await ready(late)).toMatchObject({ status: 200, body: { status: 'degraded' } });
    const answer = await order(late, 'early-bird');
    expect(answer.status).toBe(201);
    expect(await finalStatus(answer.body.id)).toBe('HELD');

    await redisServer.start();
    await eventually(async () => expect(await ready(late)).toMatchObject({ body: { status: 'ready' } }));
    await eventually(async () => expect((await order(late, 'late-bird')).status).toBe(201));
    expect(await invariantViolations(path.pool)).toEqual([]);
  });
});

import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { signLocalToken } from '@boxoffice/platform/auth/jwt';
import { availabilityCache } from '@boxoffice/platform/availability-cache';
import type { RunningHttpServer } from '@boxoffice/platform/http/app';
import { createLogger } from '@boxoffice/platform/logger';
import { createPool } from '@boxoffice/platform/postgres';
import { createRedis } from '@boxoffice/platform/redis';
import { eventKeyString, migrate, provisionEvent } from '@boxoffice/store';
import {
  createTestDatabase,
  dependencies,
  eventually,
  grantKafkaAcls,
  kafkaAs,
  uniqueName,
} from '@boxoffice/testkit';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { eventOnSale } from '../../store/test/fixtures.ts';
import { queryApiConfig } from '../src/config.ts';
import { createQueryApi } from '../src/service.ts';
import { openStream, type SseStream } from './sse-client.ts';

const secret = 'a-test-secret-that-is-at-least-32-characters-long';

describe('query-api availability streams and limits (real PostgreSQL, Redis, Kafka)', () => {
  const prefix = uniqueName('qa');
  const logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'warn');
  const concert = eventOnSale(uniqueName('qa'));
  const festival = eventOnSale(concert.namespace, { name: 'festival' });
  const recital = eventOnSale(concert.namespace, { name: 'recital' });
  const probe = new Redis(dependencies().redisUrl);
  const cache = availabilityCache(probe, `${prefix}:`);
  let pool: pg.Pool;
  let databaseUrl: string;
  const running: { server: RunningHttpServer; stop: () => void; redis: Redis }[] = [];

  beforeAll(async () => {
    databaseUrl = await createTestDatabase(prefix);
    await migrate(databaseUrl);
    pool = createPool(databaseUrl, 5);
    await grantKafkaAcls(prefix);
    const admin = kafkaAs('operator', prefix).admin();
    await admin.connect();
    await provisionEvent({ pool, admin }, concert);
    await provisionEvent({ pool, admin }, festival);
    await provisionEvent({ pool, admin }, recital);
    await admin.disconnect();
  });
  const opened: SseStream[] = [];
  afterEach(() => {
    for (const stream of opened.splice(0)) stream.close();
  });
  afterAll(async () => {
    for (const { server, stop, redis } of running) {
      await server.close({ drainDelayMs: 0, timeoutMs: 2_000 });
      stop();
      redis.disconnect();
    }
    probe.disconnect();
    await pool.end();
  });

  /** A query-api instance with its own Redis client, named so its connections can be counted. */
  async function instance(overrides: Record<string, string> = {}) {
    const name = uniqueName('qapi');
    const redis = createRedis(dependencies().redisUrl, { name });
    const api = createQueryApi({
      config: queryApiConfig.parse({
        DATABASE_URL: databaseUrl,
        REDIS_URL: dependencies().redisUrl,
        KAFKA_BROKERS: dependencies().kafkaBrokers.join(','),
        BOXOFFICE_PREFIX: prefix,
        JWT_SECRET: secret,
        ...overrides,
      }),
      pool,
      redis,
      logger,
    });
    const server = await api.http.listen({ port: 0, host: '127.0.0.1' });
    await redis.ping(); // until connected, rate limits count in memory
    running.push({ server, stop: api.stop, redis });
    /** This instance's connections to Redis, as Redis lists them. */
    const connections = async (): Promise<number> =>
      ((await probe.client('LIST')) as string).split('\n').filter((line) => line.includes(` name=${name}`))
        .length;
    const stream = async (
      event: { namespace: string; name: string },
      headers: Record<string, string> = {},
    ) => {
      const opening = await openStream(
        `${server.url}/v1/events/${event.namespace}/${event.name}/availability/stream`,
        headers,
      );
      opened.push(opening);
      return opening;
    };
    return { server, connections, stream };
  }

  const subscribers = async (event: { namespace: string; name: string }): Promise<number> => {
    const [, count] = (await probe.pubsub('NUMSUB', cache.channel(eventKeyString(event)))) as [
      string,
      number,
    ];
    return count;
  };
  const snapshot = (stream: SseStream) => stream.waitFor((e) => e.event === 'snapshot');

  it('serves every stream of an instance from one Redis subscriber connection, and each stream gets the updates', async () => {
    const api = await instance({ SSE_MAX_STREAMS_PER_CLIENT: '50' });
    const first = await api.stream(concert);
    expect(first.status).toBe(200);
    await snapshot(first);
    // The client for commands and the one subscriber.
    await eventually(async () => expect(await api.connections()).toBe(2));

    const streams = await Promise.all(
      Array.from({ length: 30 }, (_, i) => api.stream(i % 2 === 0 ? concert : festival)),
    );
    await Promise.all(streams.map(snapshot));
    expect(await api.connections()).toBe(2);
    await eventually(async () => expect(await subscribers(festival)).toBe(1));
    expect(await subscribers(concert)).toBe(1);

    await cache.writeShard(eventKeyString(concert), 1, new Map([['standard', 3]]));
    await cache.writeShard(eventKeyString(festival), 0, new Map([['standard', 4]]));
    const concertStreams = [first, ...streams.filter((_, i) => i % 2 === 0)];
    const festivalStreams = streams.filter((_, i) => i % 2 === 1);
    await Promise.all([
      ...concertStreams.map((s) =>
        s.waitFor(
          (e) =>
            e.event === 'shard' &&
            JSON.parse(e.data).shard === 1 &&
            JSON.parse(e.data).remaining.standard === 3,
        ),
      ),
      ...festivalStreams.map((s) =>
        s.waitFor(
          (e) =>
            e.event === 'shard' &&
            JSON.parse(e.data).shard === 0 &&
            JSON.parse(e.data).remaining.standard === 4,
        ),
      ),
    ]);
    for (const s of festivalStreams) expect(s.events.filter((e) => e.event === 'shard')).toHaveLength(1);

    for (const s of [first, ...streams]) s.close();
    await eventually(async () =>
      expect([await subscribers(concert), await subscribers(festival)]).toEqual([0, 0]),
    );
    expect(await api.connections()).toBe(2);
  });

  it('leaves no connection, subscription or stream slot behind when clients leave before their stream is set up', async () => {
    const api = await instance({ SSE_MAX_STREAMS_PER_CLIENT: '3' });
    await eventually(async () => expect(await api.connections()).toBe(2));
    const path = `/v1/events/${recital.namespace}/${recital.name}/availability/stream`;
    // Raw sockets, so each request surely reached the server before its client vanished, at
    // different moments: during the event lookup, before and after the subscription.
    await Promise.all(
      Array.from(
        { length: 30 },
        (_, i) =>
          new Promise<void>((resolve, reject) => {
            const socket = connect(api.server.port, '127.0.0.1', () => {
              socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n`);
              setTimeout(() => socket.destroy(), i % 6);
            });
            socket.on('close', () => resolve());
            socket.on('error', reject);
          }),
      ),
    );
    await eventually(async () => {
      expect(await subscribers(recital)).toBe(0);
      const metrics = await (await fetch(`${api.server.url}/metrics`)).text();
      expect(metrics).toMatch(/^boxoffice_sse_streams_open\{[^}]*\} 0$/m);
    });
    expect(await api.connections()).toBe(2);
    // Every slot was given back: this client may open its full three again.
    const streams = await Promise.all([api.stream(recital), api.stream(recital), api.stream(recital)]);
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
    for (const s of streams) s.close();
  });

  it('caps open streams per client address with 429 and per instance with 503, as problem documents', async () => {
    const api = await instance({
      SSE_MAX_STREAMS_PER_CLIENT: '2',
      SSE_MAX_STREAMS: '3',
      TRUSTED_PROXIES: '127.0.0.1',
    });
    const from = (ip: string) => api.stream(concert, { 'x-forwarded-for': ip });
    const a1 = await from('203.0.113.1');
    const a2 = await from('203.0.113.1');
    expect([a1.status, a2.status]).toEqual([200, 200]);
    const a3 = await from('203.0.113.1');
    expect(a3.status).toBe(429);
    expect(a3.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(a3.response.headers.get('retry-after')).toBe('5');
    expect(await a3.response.json()).toMatchObject({
      type: 'https://boxoffice.dev/problems/too-many-streams',
      status: 429,
    });

    const b1 = await from('203.0.113.2');
    expect(b1.status).toBe(200);
    const c1 = await from('203.0.113.3');
    expect(c1.status).toBe(503);
    expect(c1.response.headers.get('retry-after')).toBe('5');
    expect(await c1.response.json()).toMatchObject({
      type: 'https://boxoffice.dev/problems/streams-full',
      status: 503,
    });

    a1.close();
    await eventually(async () => {
      const again = await from('203.0.113.3');
      expect(again.status).toBe(200);
      again.close();
    });
    for (const s of [a2, b1]) s.close();
  });

  it('rate-limits reads per client address and, where a token is present, per buyer', async () => {
    const api = await instance({
      RATE_LIMIT_PER_IP_PER_SECOND: '3',
      RATE_LIMIT_PER_BUYER_PER_SECOND: '2',
      TRUSTED_PROXIES: '127.0.0.1',
    });
    const statuses = async (requests: Promise<Response>[]) =>
      (await Promise.all(requests)).map((r) => r.status).sort();
    const events = (ip: string) =>
      fetch(`${api.server.url}/v1/events`, { headers: { 'x-forwarded-for': ip } });
    expect(await statuses(Array.from({ length: 5 }, () => events('198.51.100.1')))).toEqual([
      200, 200, 200, 429, 429,
    ]);
    const refused = await events('198.51.100.1');
    expect(await refused.json()).toMatchObject({ code: 'rate-limited', limit: 'ip' });
    expect((await events('198.51.100.2')).status).toBe(200);

    const token = await signLocalToken({
      secret,
      issuer: 'boxoffice-local',
      audience: 'boxoffice',
      buyerId: 'alice',
    });
    // Each from its own address: only the buyer's budget is shared.
    const mine = Array.from({ length: 4 }, (_, i) =>
      fetch(`${api.server.url}/v1/me/orders`, {
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': `192.0.2.${i + 1}` },
      }),
    );
    const answers = await Promise.all(mine);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 429, 429]);
    const limited = answers.find((r) => r.status === 429)!;
    expect(await limited.json()).toMatchObject({ limit: 'buyer' });
  });
});

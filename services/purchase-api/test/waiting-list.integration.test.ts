import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newOrderId, type EventDefinition } from '@boxoffice/inventory';
import { signLocalToken } from '@boxoffice/platform/auth/jwt';
import type { RunningHttpServer } from '@boxoffice/platform/http/app';
import { eventCounters } from '@boxoffice/store';
import { dependencies, eventually, uniqueName } from '@boxoffice/testkit';
import { queryApiConfig } from '../../query-api/src/config.ts';
import { createQueryApi } from '../../query-api/src/service.ts';
import { openStream } from '../../query-api/test/sse-client.ts';
import { eventOnSale } from '../../store/test/fixtures.ts';
import { purchaseApiConfig } from '../src/config.ts';
import { createPurchaseApi } from '../src/service.ts';
import { invariantViolations, PurchasePath } from './purchase-path.ts';

const secret = 'a-test-secret-that-is-at-least-32-characters-long';
const token = (buyerId: string) =>
  signLocalToken({ secret, issuer: 'boxoffice-local', audience: 'boxoffice', buyerId });

interface EntryRow {
  id: string;
  buyer_id: string;
  shard: number;
  seq: string;
  status: string;
  order_status: string | null;
  offered_at: Date | null;
}

describe('waiting lists after a sell-out (real Kafka, PostgreSQL, Redis; purchase-api and query-api over HTTP)', () => {
  const path = new PurchasePath();
  // A short hold TTL: the seats of holds and of unpaid offers come back within seconds.
  const flash = eventOnSale(uniqueName('wait'), {
    shards: 2,
    ticketTypes: [
      { name: 'standard', priceMinor: 3000, currency: 'EUR', capacity: 6 },
      { name: 'vip', priceMinor: 9000, currency: 'EUR', capacity: 4 },
    ],
    sales: { ...eventOnSale('x').sales, holdTtlSeconds: 5 },
  });
  const quiet = eventOnSale(uniqueName('quiet'), {
    shards: 2,
    ticketTypes: [{ name: 'standard', priceMinor: 3000, currency: 'EUR', capacity: 1 }],
  });
  const growing = eventOnSale(uniqueName('grow'), {
    shards: 1,
    ticketTypes: [{ name: 'standard', priceMinor: 3000, currency: 'EUR', capacity: 1 }],
  });
  let purchase: RunningHttpServer;
  let query: RunningHttpServer;
  let api: Awaited<ReturnType<typeof createPurchaseApi>>;
  let queryApi: ReturnType<typeof createQueryApi>;

  const call = async (method: string, url: string, buyer: string, body?: unknown) => {
    const response = await fetch(`${purchase.url}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${await token(buyer)}`,
        'content-type': 'application/json',
        ...(method === 'POST' && url.endsWith('/orders') ? { 'idempotency-key': newOrderId() } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      body: (text ? JSON.parse(text) : undefined) as Record<string, unknown>,
    };
  };
  const list = (event: EventDefinition) => `/v1/events/${event.namespace}/${event.name}/waiting-list`;
  const orders = (event: EventDefinition) => `/v1/events/${event.namespace}/${event.name}/orders`;
  const join = (event: EventDefinition, buyer: string, ticketType = 'standard', quantity = 1) =>
    call('POST', list(event), buyer, { ticketType, quantity });

  const entries = async (event: EventDefinition): Promise<EntryRow[]> =>
    (
      await path.pool.query<EntryRow>(
        `SELECT w.id, w.buyer_id, w.shard, w.seq, w.status, o.status AS order_status, o.created_at AS offered_at
         FROM waiting_list w JOIN events e ON e.id = w.event_id LEFT JOIN orders o ON o.id = w.id
         WHERE e.namespace = $1 AND e.name = $2 ORDER BY w.shard, w.seq`,
        [event.namespace, event.name],
      )
    ).rows;

  beforeAll(async () => {
    await path.start();
    await path.provision(flash);
    await path.provision(quiet);
    await path.provision(growing);
    await path.startAllocator(flash);
    await path.startAllocator(quiet);
    await path.startAllocator(growing);
    const deps = dependencies();
    const env = {
      DATABASE_URL: path.databaseUrl,
      REDIS_URL: deps.redisUrl,
      KAFKA_BROKERS: deps.kafkaBrokers.join(','),
      BOXOFFICE_PREFIX: path.prefix,
      JWT_SECRET: secret,
    };
    api = await createPurchaseApi({
      config: purchaseApiConfig.parse({
        ...env,
        WEBHOOK_SECRET: 'webhook-secret-for-tests',
        RATE_LIMIT_PER_BUYER_PER_SECOND: '1000',
        RATE_LIMIT_PER_IP_PER_SECOND: '100000',
        REPLY_TIMEOUT_MS: '10000',
        EXPIRY_SWEEP_INTERVAL_MS: '200',
      }),
      pool: path.pool,
      redis: path.redis,
      producer: path.producer,
      logger: path.logger,
    });
    purchase = await api.http.listen({ port: 0, host: '127.0.0.1' });
    queryApi = createQueryApi({
      config: queryApiConfig.parse(env),
      pool: path.pool,
      redis: path.redis,
      logger: path.logger,
    });
    query = await queryApi.http.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await purchase.close({ drainDelayMs: 0, timeoutMs: 2_000 });
    await query.close({ drainDelayMs: 0, timeoutMs: 2_000 });
    await api.stop();
    queryApi.stop();
    await path.stop();
  });

  it('answers bad requests with problem documents: not sold out, over the limit, unknown type, already waiting, not waiting', async () => {
    expect(
      (await call('POST', orders(quiet), 'holder', { ticketType: 'standard', quantity: 1 })).status,
    ).toBe(201);
    const problem = (status: number, code: string) => ({
      status,
      type: expect.stringContaining('application/problem+json'),
      body: expect.objectContaining({ status, code }),
    });

    // Stock left (the vip type of the other event): buy it instead.
    expect(await join(flash, 'early', 'vip')).toEqual(problem(409, 'not-sold-out'));
    expect(await join(quiet, 'greedy', 'standard', 5)).toEqual(problem(400, 'quantity-over-limit'));
    expect(await join(quiet, 'lost', 'balcony')).toEqual(problem(400, 'unknown-ticket-type'));
    expect(await join(quiet, 'zero', 'standard', 0)).toEqual(problem(400, 'invalid-request'));
    expect(await call('DELETE', `${list(quiet)}?ticketType=standard`, 'nobody')).toEqual(
      problem(404, 'not-waiting'),
    );
    // A name no ticket type can have, U+0000 among it (PostgreSQL text cannot hold it; the fuzzer
    // sent one to DELETE and got a 500): refused before the database, naming the field.
    for (const [method, url] of [
      ['DELETE', `${list(quiet)}?ticketType=a%00b`],
      ['GET', `${list(quiet)}?ticketType=a%00b`],
    ])
      expect(await call(method!, url!, 'nobody')).toEqual(problem(400, 'invalid-request'));
    expect(await join(quiet, 'nul', 'a\u0000b')).toEqual(problem(400, 'invalid-request'));
    expect(
      await call('POST', `/v1/events/${quiet.namespace}/nope/waiting-list`, 'x', {
        ticketType: 'standard',
        quantity: 1,
      }),
    ).toEqual(problem(404, 'event-not-found'));

    const joined = await join(quiet, 'patient');
    expect(joined).toMatchObject({
      status: 201,
      body: { status: 'WAITING', position: 1, quantity: 1, ticketType: 'standard' },
    });
    expect(await join(quiet, 'patient')).toEqual(problem(409, 'already-waiting'));
    expect(await join(quiet, 'second')).toMatchObject({
      status: 201,
      body: { position: expect.any(Number) },
    });
    // The holder's limit counts what they hold: 1 held + 4 waited for is over 4.
    expect(await join(quiet, 'holder', 'standard', 4)).toEqual(problem(409, 'limit-reached'));

    expect(await call('GET', list(quiet), 'patient')).toMatchObject({
      status: 200,
      body: { items: [{ id: joined.body.id, status: 'WAITING', position: 1 }] },
    });
    expect(await call('DELETE', `${list(quiet)}?ticketType=standard`, 'patient')).toMatchObject({
      status: 200,
      body: { id: joined.body.id, status: 'LEFT' },
    });
    expect((await call('GET', list(quiet), 'patient')).body).toEqual({
      items: [expect.objectContaining({ status: 'LEFT' })],
    });
    expect(await call('DELETE', `${list(quiet)}?ticketType=standard`, 'patient')).toEqual(
      problem(404, 'not-waiting'),
    );
  });

  it('gives released and expired seats to the first waiting buyers of each shard, in order of joining, while buyers join, leave and others try to buy; an unpaid offer expires and moves on', async () => {
    // Sold out: six holders, one seat each, on both shards.
    const holds = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call('POST', orders(flash), `holder-${i}`, { ticketType: 'standard', quantity: 1 }),
      ),
    );
    expect(holds.map((h) => h.status)).toEqual(Array(6).fill(201));
    const stream = await openStream(
      `${query.url}/v1/events/${flash.namespace}/${flash.name}/availability/stream`,
    );

    // Twenty buyers join at once.
    const waiters = Array.from({ length: 20 }, (_, i) => `waiter-${String(i).padStart(2, '0')}`);
    const joined = await Promise.all(waiters.map((w) => join(flash, w)));
    expect(joined.map((j) => [j.status, j.body.status])).toEqual(waiters.map(() => [201, 'WAITING']));

    // At once: three holders release, the other three holds expire (sweeper), two waiters leave,
    // and outsiders keep trying to buy; the seats must go to the waiting list, not to them.
    const leavers = ['waiter-03', 'waiter-12'];
    let outsidersDone = false;
    const outsiders = Array.from({ length: 4 }, async (_, i) => {
      const answers: { status: number; body: Record<string, unknown> }[] = [];
      while (!outsidersDone) {
        answers.push(
          await call('POST', orders(flash), `outsider-${i}`, { ticketType: 'standard', quantity: 1 }),
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return answers;
    });
    const [released, left] = await Promise.all([
      Promise.all(
        holds.slice(0, 3).map((h, i) => call('DELETE', `/v1/orders/${String(h.body.id)}`, `holder-${i}`)),
      ),
      Promise.all(leavers.map((w) => call('DELETE', `${list(flash)}?ticketType=standard`, w))),
    ]);
    // Released, accepted for release (a slow reply), or expired first (a slow machine): back either way.
    expect(released.filter((r) => ![200, 202, 409].includes(r.status))).toEqual([]);

    // Every seat comes back, is offered, expires unpaid and goes to the next buyer, until every
    // buyer still waiting has had an offer (18 buyers, 6 seats: three rounds of 5 s holds).
    const staying = waiters.length - left.filter((l) => l.status === 200).length;
    await eventually(
      async () => {
        const rows = await entries(flash);
        expect(rows.filter((r) => r.status === 'OFFERED')).toHaveLength(staying);
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    // The buyer sees the offer among their orders: the newest offer, read at once, while its 5 s
    // hold still runs (the checks below take long enough on a busy machine for it to expire).
    const [newest] = (await entries(flash))
      .filter((r) => r.status === 'OFFERED' && r.order_status === 'HELD')
      .sort((a, b) => b.offered_at!.getTime() - a.offered_at!.getTime());
    expect(await call('GET', `/v1/orders/${newest!.id}`, newest!.buyer_id)).toMatchObject({
      status: 200,
      body: { id: newest!.id, status: 'HELD', quantity: 1, ticketType: 'standard' },
    });
    expect(await call('GET', list(flash), newest!.buyer_id)).toMatchObject({
      body: {
        items: [{ id: newest!.id, status: 'OFFERED', offer: { orderId: newest!.id, status: 'HELD' } }],
      },
    });
    outsidersDone = true;
    const outsiderAnswers = (await Promise.all(outsiders)).flat();
    const rows = await entries(flash);

    // A leave either left (no offer ever) or found its offer already made.
    for (const [i, answer] of left.entries()) {
      const row = rows.find((r) => r.buyer_id === leavers[i])!;
      if (answer.status === 200) expect(row).toMatchObject({ status: 'LEFT', order_status: null });
      else {
        expect(answer.body).toMatchObject({ code: 'waiting-list-offered', orderId: row.id });
        expect(row.status).toBe('OFFERED');
      }
    }

    for (const shard of [0, 1]) {
      const offered = rows.filter((r) => r.shard === shard && r.status === 'OFFERED');
      // In order of joining: an entry that joined later never got its offer earlier.
      const bySeq = [...offered].sort((a, b) => Number(a.seq) - Number(b.seq));
      const times = bySeq.map((r) => r.offered_at!.getTime());
      expect(times).toEqual([...times].sort((a, b) => a - b));
      // The first offers of each shard expired unpaid, and their seats went on to later buyers.
      if (offered.length > 3) {
        expect(bySeq.slice(0, offered.length - 3).map((r) => r.order_status)).toEqual(
          Array(offered.length - 3).fill('EXPIRED'),
        );
      }
      // An outsider got a seat of this shard only after its last waiting buyer had been offered one.
      const lastOffer = Math.max(...times, 0);
      const outsiderHolds = (
        await path.pool.query<{ created_at: Date }>(
          `SELECT o.created_at FROM orders o JOIN events e ON e.id = o.event_id
           WHERE e.namespace = $1 AND o.buyer_id LIKE 'outsider-%' AND o.shard = $2 AND o.status <> 'REJECTED'`,
          [flash.namespace, shard],
        )
      ).rows;
      for (const hold of outsiderHolds) expect(hold.created_at.getTime()).toBeGreaterThanOrEqual(lastOffer);
    }
    // While anyone waited, outsiders were told "sold out".
    expect(outsiderAnswers.filter((a) => a.status !== 409 && a.status !== 201)).toEqual([]);

    // No seat to two buyers: one offer per entry, the counters add up, nothing oversold.
    const offerIds = rows.filter((r) => r.status === 'OFFERED').map((r) => r.id);
    expect(new Set(offerIds).size).toBe(offerIds.length);
    const counters = await eventCounters(path.pool, flash);
    for (const c of counters) expect(c.held + c.sold).toBeLessThanOrEqual(c.capacity);
    expect(await invariantViolations(path.pool)).toEqual([]);

    // The stream told every buyer of their offer.
    for (const id of offerIds)
      await stream.waitFor(
        (e) => e.event === 'offer' && (JSON.parse(e.data) as { orderId: string }).orderId === id,
      );
    stream.close();
  });

  it('offers seats that come from a capacity increase to the first waiting buyer they fit', async () => {
    expect(
      (await call('POST', orders(growing), 'holder', { ticketType: 'standard', quantity: 1 })).status,
    ).toBe(201);
    const first = await join(growing, 'wants-three', 'standard', 3);
    const second = await join(growing, 'wants-two', 'standard', 2);
    expect([first.body.position, second.body.position]).toEqual([1, 2]);

    // The operator grows the capacity: two new seats, which no command of the shard freed.
    await path.provision({
      ...growing,
      ticketTypes: [{ name: 'standard', priceMinor: 3000, currency: 'EUR', capacity: 3 }],
    });
    await eventually(
      async () =>
        expect((await call('GET', list(growing), 'wants-two')).body).toMatchObject({
          items: [{ status: 'OFFERED', offer: { orderId: second.body.id, status: 'HELD' } }],
        }),
      { timeoutMs: 20_000 },
    );
    // Three do not fit in two: the first buyer keeps their place, now first in line.
    expect((await call('GET', list(growing), 'wants-three')).body).toMatchObject({
      items: [{ status: 'WAITING', position: 1 }],
    });
    expect(await eventCounters(path.pool, growing)).toEqual([
      { ticketType: 'standard', capacity: 3, held: 3, sold: 0, remaining: 0 },
    ]);
    expect(await invariantViolations(path.pool)).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signLocalToken } from '@boxoffice/platform/auth/jwt';
import { SIGNATURE_HEADER, signWebhook } from '@boxoffice/platform/auth/webhook-signature';
import type { RunningHttpServer } from '@boxoffice/platform/http/app';
import { newOrderId } from '@boxoffice/inventory';
import { findOrder } from '@boxoffice/store';
import { dependencies, eventually, uniqueName } from '@boxoffice/testkit';
import { SignJWT } from 'jose';
import { createQueryApi } from '../../query-api/src/service.ts';
import { queryApiConfig } from '../../query-api/src/config.ts';
import { eventOnSale } from '../../store/test/fixtures.ts';
import { purchaseApiConfig } from '../src/config.ts';
import { createPurchaseApi } from '../src/service.ts';
import { invariantViolations, PurchasePath } from './purchase-path.ts';

const secret = 'a-test-secret-that-is-at-least-32-characters-long';
const webhookSecret = 'webhook-secret-for-tests';
const token = (buyerId: string, overrides: { audience?: string; expiresIn?: string | number } = {}) =>
  signLocalToken({
    secret,
    issuer: 'boxoffice-local',
    audience: overrides.audience ?? 'boxoffice',
    buyerId,
    ...(overrides.expiresIn !== undefined ? { expiresIn: overrides.expiresIn } : {}),
  });

describe('purchase-api and query-api over HTTP (real Kafka, PostgreSQL, Redis)', () => {
  const path = new PurchasePath();
  const event = eventOnSale(uniqueName('http'), {
    shards: 2,
    ticketTypes: [{ name: 'standard', priceMinor: 3000, currency: 'EUR', capacity: 3 }],
  });
  let purchase: RunningHttpServer;
  let query: RunningHttpServer;
  let api: Awaited<ReturnType<typeof createPurchaseApi>>;
  let queryApi: ReturnType<typeof createQueryApi>;
  const orderUrl = () => `${purchase.url}/v1/events/${event.namespace}/${event.name}/orders`;
  const order = async (buyer: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(orderUrl(), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await token(buyer)}`,
        'idempotency-key': newOrderId(),
        'content-type': 'application/json',
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    await path.start();
    await path.provision(event);
    await path.startAllocator(event);
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
        WEBHOOK_SECRET: webhookSecret,
        RATE_LIMIT_PER_BUYER_PER_SECOND: '100',
        RATE_LIMIT_PER_IP_PER_SECOND: '1000',
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

  it('holds tickets with 201, confirms them through a signed webhook, and shows the tickets to their owner only', async () => {
    const response = await order('alice', { ticketType: 'standard', quantity: 2 });
    expect(response.status).toBe(201);
    const hold = (await response.json()) as { id: string; status: string; expiresAt: string };
    expect(hold).toMatchObject({ status: 'HELD', expiresAt: expect.any(String) });
    expect(response.headers.get('location')).toBe(`/v1/orders/${hold.id}`);

    const callback = JSON.stringify({
      id: uniqueName('evt'),
      type: 'payment.succeeded',
      data: { orderId: hold.id, amountMinor: 6000, currency: 'EUR' },
    });
    const unsigned = await fetch(`${purchase.url}/v1/payments/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signWebhook('wrong-secret-0123456789', callback),
      },
      body: callback,
    });
    expect(unsigned.status).toBe(401);
    expect(unsigned.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await path.pool.query('SELECT status FROM orders WHERE id = $1', [hold.id])).rows[0]).toEqual({
      status: 'HELD',
    });

    const signed = await fetch(`${purchase.url}/v1/payments/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signWebhook(webhookSecret, callback),
      },
      body: callback,
    });
    expect(signed.status).toBe(202);
    const mine = { authorization: `Bearer ${await token('alice')}` };
    await eventually(async () =>
      expect(
        await (await fetch(`${query.url}/v1/orders/${hold.id}`, { headers: mine })).json(),
      ).toMatchObject({ status: 'CONFIRMED' }),
    );
    // The Location of the 201 (purchase-api's, since the Ingress sends this path there): the same
    // order, the same document as query-api's.
    const fromPurchaseApi = await fetch(`${purchase.url}${response.headers.get('location')}`, {
      headers: mine,
    });
    expect(fromPurchaseApi.status).toBe(200);
    expect(await fromPurchaseApi.json()).toEqual(
      await (await fetch(`${query.url}/v1/orders/${hold.id}`, { headers: mine })).json(),
    );
    const tickets = (await (
      await fetch(`${query.url}/v1/orders/${hold.id}/tickets`, { headers: mine })
    ).json()) as { items: unknown[] };
    expect(tickets.items).toHaveLength(2);
    for (const api of [query, purchase]) {
      expect(
        (
          await fetch(`${api.url}/v1/orders/${hold.id}`, {
            headers: { authorization: `Bearer ${await token('mallory')}` },
          })
        ).status,
      ).toBe(404);
    }
    expect(
      (
        (await (await fetch(`${query.url}/v1/me/orders`, { headers: mine })).json()) as {
          items: { id: string }[];
        }
      ).items.map((o) => o.id),
    ).toContain(hold.id);
  });

  it('answers bad input and bad tokens with 4xx problem documents, never 5xx', async () => {
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'eve', iss: 'boxoffice-local', aud: 'boxoffice', exp: 9_999_999_999 })).toString('base64url')}.`;
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('eve')
      .setIssuer('boxoffice-local')
      .setAudience('boxoffice')
      .setExpirationTime(1_000)
      .sign(new TextEncoder().encode(secret));
    const cases: [string, Promise<Response>, number][] = [
      ['malformed JSON', order('bob', '{"ticketType": "standard",'), 400],
      ['unknown field', order('bob', { ticketType: 'standard', quantity: 1, seat: 'A1' }), 400],
      ['negative quantity', order('bob', { ticketType: 'standard', quantity: -1 }), 400],
      ['huge quantity', order('bob', { ticketType: 'standard', quantity: 1e12 }), 400],
      ['fractional quantity', order('bob', { ticketType: 'standard', quantity: 1.5 }), 400],
      ['unknown ticket type', order('bob', { ticketType: 'balcony', quantity: 1 }), 400],
      [
        'unknown event',
        fetch(`${purchase.url}/v1/events/nowhere/nothing/orders`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${await token('bob')}`,
            'idempotency-key': 'k',
            'content-type': 'application/json',
          },
          body: '{"ticketType":"standard","quantity":1}',
        }),
        404,
      ],
      [
        'missing Idempotency-Key',
        fetch(orderUrl(), {
          method: 'POST',
          headers: { authorization: `Bearer ${await token('bob')}`, 'content-type': 'application/json' },
          body: '{"ticketType":"standard","quantity":1}',
        }),
        400,
      ],
      [
        'no token',
        fetch(orderUrl(), {
          method: 'POST',
          headers: { 'idempotency-key': 'k', 'content-type': 'application/json' },
          body: '{"ticketType":"standard","quantity":1}',
        }),
        401,
      ],
      [
        'alg none',
        order('eve', { ticketType: 'standard', quantity: 1 }, { authorization: `Bearer ${none}` }),
        401,
      ],
      [
        'wrong audience',
        order(
          'eve',
          { ticketType: 'standard', quantity: 1 },
          { authorization: `Bearer ${await token('eve', { audience: 'other' })}` },
        ),
        401,
      ],
      [
        'expired',
        order('eve', { ticketType: 'standard', quantity: 1 }, { authorization: `Bearer ${expired}` }),
        401,
      ],
      [
        'garbage token',
        order('eve', { ticketType: 'standard', quantity: 1 }, { authorization: 'Bearer not.a.jwt' }),
        401,
      ],
    ];
    for (const [name, response, status] of cases) {
      const r = await response;
      expect({ name, status: r.status, type: r.headers.get('content-type') }).toEqual({
        name,
        status,
        type: expect.stringMatching(/application\/problem\+json/),
      });
    }
  });

  it('replays an Idempotency-Key retry, refuses the key with another body, and answers 409 once sold out', async () => {
    const headers = { 'idempotency-key': 'retry-1' };
    const first = (await (await order('carol', { ticketType: 'standard', quantity: 1 }, headers)).json()) as {
      id: string;
    };
    const retry = await order('carol', { ticketType: 'standard', quantity: 1 }, headers);
    expect(((await retry.json()) as { id: string }).id).toBe(first.id);
    expect(
      await order('carol', { ticketType: 'standard', quantity: 1 }, { 'idempotency-key': 'retry-1' }).then(
        (r) => r.status,
      ),
    ).toBe(201);
    expect((await order('carol', { ticketType: 'standard', quantity: 2 }, headers)).status).toBe(422);
    const soldOut = await order(
      'dave',
      { ticketType: 'standard', quantity: 1 },
      { 'idempotency-key': 'dave-1' },
    );
    expect(soldOut.status).toBe(409);
    expect(((await soldOut.json()) as { type: string }).type).toBe('https://boxoffice.dev/problems/sold-out');

    // Sold out, a retry of an accepted order still gets that order, and its key still guards its body.
    const lateRetry = await order('carol', { ticketType: 'standard', quantity: 1 }, headers);
    expect(lateRetry.status).toBe(201);
    expect(((await lateRetry.json()) as { id: string }).id).toBe(first.id);
    expect((await order('carol', { ticketType: 'standard', quantity: 2 }, headers)).status).toBe(422);

    // The sold-out answer claimed nothing: once carol's seat returns, dave's same key buys it.
    const release = await fetch(`${purchase.url}/v1/orders/${first.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await token('carol')}` },
    });
    expect(release.status).toBe(200);
    await eventually(async () => {
      const again = await order(
        'dave',
        { ticketType: 'standard', quantity: 1 },
        { 'idempotency-key': 'dave-1' },
      );
      expect(again.status).toBe(201);
    });
    expect(await invariantViolations(path.pool)).toEqual([]);
  });

  it('stops selling a ticket type removed from the event: 400 for a new order, REJECTED for one in flight', async () => {
    const standard = { name: 'standard', priceMinor: 3000, currency: 'EUR', capacity: 5 };
    const lounge = { name: 'lounge', priceMinor: 8000, currency: 'EUR', capacity: 5 };
    const lineup = eventOnSale(uniqueName('lineup'), { ticketTypes: [standard, lounge] });
    await path.provision(lineup);
    const ordersUrl = `${purchase.url}/v1/events/${lineup.namespace}/${lineup.name}/orders`;
    const buyLounge = async () =>
      fetch(ordersUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await token('lou')}`,
          'idempotency-key': newOrderId(),
          'content-type': 'application/json',
        },
        body: JSON.stringify({ ticketType: 'lounge', quantity: 1 }),
      });
    const offered = async () =>
      (
        (await (await fetch(`${query.url}/v1/events/${lineup.namespace}/${lineup.name}`)).json()) as {
          ticketTypes: { name: string }[];
        }
      ).ticketTypes.map((t) => t.name);
    expect(await offered()).toEqual(['lounge', 'standard']);

    // No allocator has taken it yet when the type is removed: the command is in flight.
    const pending = await buyLounge();
    expect(pending.status).toBe(202);
    const inFlight = ((await pending.json()) as { id: string }).id;
    await path.provision({ ...lineup, ticketTypes: [standard] });

    expect(await offered()).toEqual(['standard']);
    await eventually(async () => {
      const refused = await buyLounge();
      expect(refused.status).toBe(400);
      expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(((await refused.json()) as { type: string }).type).toBe(
        'https://boxoffice.dev/problems/unknown-ticket-type',
      );
    });
    await path.startAllocator(lineup);
    await eventually(
      async () =>
        expect(await findOrder(path.pool, inFlight)).toMatchObject({
          status: 'REJECTED',
          rejectReason: 'unknown_ticket_type',
        }),
      { timeoutMs: 20_000 },
    );
    expect(await invariantViolations(path.pool)).toEqual([]);
  });

  it('serves OpenAPI 3.1 documents listing every route', async () => {
    const purchaseDoc = (await (await fetch(`${purchase.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(purchaseDoc.openapi).toMatch(/^3\.1/);
    expect(Object.keys(purchaseDoc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/events/{namespace}/{name}/orders',
        '/v1/orders/{orderId}',
        '/v1/payments/webhook',
      ]),
    );
    const queryDoc = (await (await fetch(`${query.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    // GET and DELETE of one order on purchase-api (an Ingress cannot split them by method); the GET
    // is query-api's operation, answering the same document.
    const purchaseOrder = (purchaseDoc as unknown as typeof queryDoc).paths['/v1/orders/{orderId}']!;
    expect(Object.keys(purchaseOrder).sort()).toEqual(['delete', 'get']);
    const okResponse = (operation: unknown) =>
      (operation as { responses: Record<string, unknown> }).responses['200'];
    expect(okResponse(purchaseOrder.get)).toEqual(okResponse(queryDoc.paths['/v1/orders/{orderId}']!.get));
    expect((purchaseDoc as unknown as typeof queryDoc).components.schemas.OrderDetails).toEqual(
      queryDoc.components.schemas.OrderDetails,
    );
    expect(Object.keys(queryDoc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/events',
        '/v1/events/{namespace}/{name}',
        '/v1/orders/{orderId}',
        '/v1/orders/{orderId}/tickets',
        '/v1/me/orders',
        '/v1/events/{namespace}/{name}/availability/stream',
      ]),
    );
  });
});

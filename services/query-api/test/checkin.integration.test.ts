import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newOrderId } from '@boxoffice/inventory';
import { dependencies, eventually } from '@boxoffice/testkit';
import { eventOnSale } from '../../store/test/fixtures.ts';
import { PurchasePath } from '../../purchase-api/test/purchase-path.ts';
import { queryApiConfig } from '../src/config.ts';
import { createQueryApi } from '../src/service.ts';
import { secret, token } from './tokens.ts';

describe('check-in at the door (real PostgreSQL, Kafka, Redis)', () => {
  const path = new PurchasePath();
  const sale = { ...eventOnSale('x').sales, perBuyerLimit: 4, holdTtlSeconds: 600 };
  const type = { name: 'standard', priceMinor: 1500, currency: 'EUR', capacity: 120 };
  const event = eventOnSale(path.prefix, { name: 'gig', ticketTypes: [type], sales: sale });
  const matinee = eventOnSale(path.prefix, { name: 'matinee', ticketTypes: [type], sales: sale });
  const checkins = (e = event): string => `/v1/organizers/${e.namespace}/events/${e.name}/checkins`;
  let server: Server;
  let baseUrl: string;
  let stop: () => void;
  let organizer: string;
  /** Codes of paid orders of `event`, each handed to one test; a code is scanned by one test only. */
  const codes: string[] = [];
  const take = (n: number): string[] => codes.splice(0, n);
  let matineeCode: string;

  const scan = async (bearer: string, code: string, e = event) => {
    const response = await fetch(`${baseUrl}${checkins(e)}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: (await response.json()) as Record<string, unknown>,
    };
  };

  /** Places and pays `count` orders of two tickets; returns their ticket codes. */
  async function paidTickets(e: typeof event, count: number, buyer: string): Promise<string[]> {
    const placed = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        path.orders.place({
          event: e,
          buyerId: `${buyer}-${i}`,
          ticketType: 'standard',
          quantity: 2,
          idempotencyKey: newOrderId(),
        }),
      ),
    );
    const ids = placed.map((r) => (r.kind === 'accepted' ? r.order.id : `not accepted: ${r.kind}`));
    for (const id of ids)
      expect(
        await path.orders.payment({
          providerEventId: `pay-${id}`,
          orderId: id,
          outcome: 'succeeded',
          amountMinor: 3000,
          currency: 'EUR',
        }),
      ).toBe('accepted');
    return eventually(
      async () => {
        const { rows } = await path.pool.query<{ code: string }>(
          `SELECT t.code FROM tickets t JOIN orders o ON o.id = t.order_id
            WHERE o.id = ANY($1::uuid[]) AND o.status = 'CONFIRMED' ORDER BY t.code`,
          [ids],
        );
        expect(rows).toHaveLength(count * 2);
        return rows.map((r) => r.code);
      },
      { timeoutMs: 30_000 },
    );
  }

  beforeAll(async () => {
    await path.start();
    await path.provision(event);
    await path.provision(matinee);
    await path.startAllocator(event);
    await path.startAllocator(matinee);
    const api = createQueryApi({
      config: queryApiConfig.parse({
        DATABASE_URL: path.databaseUrl,
        REDIS_URL: dependencies().redisUrl,
        KAFKA_BROKERS: dependencies().kafkaBrokers.join(','),
        BOXOFFICE_PREFIX: path.prefix,
        JWT_SECRET: secret,
        // The concurrency tests fire bursts per scanner; the per-buyer budget is not under test here.
        RATE_LIMIT_PER_BUYER_PER_SECOND: '100000',
        RATE_LIMIT_PER_IP_PER_SECOND: '100000',
      }),
      pool: path.pool,
      redis: path.redis,
      logger: path.logger,
    });
    stop = api.stop;
    server = api.http.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    organizer = await token('org-1', { roles: [{ role: 'organizer', namespaces: [event.namespace] }] });
    codes.push(...(await paidTickets(event, 50, 'buyer')));
    matineeCode = (await paidTickets(matinee, 1, 'matinee-buyer'))[0]!;
  }, 120_000);
  afterAll(async () => {
    stop();
    await new Promise((resolve) => server.close(resolve));
    await path.stop();
  });

  it('admits the first scan with 201, and answers the second with 409 naming when and by whom', async () => {
    const [code] = take(1) as [string];
    const gate1 = await token('gate-1', { roles: [{ role: 'scanner', namespaces: [event.namespace] }] });
    const first = await scan(gate1, code.toLowerCase());
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ code, ticketType: 'standard', scannedBy: 'gate-1' });
    const second = await scan(organizer, code);
    expect(second.status).toBe(409);
    expect(second.contentType).toMatch(/^application\/problem\+json/);
    expect(second.body).toMatchObject({
      code: 'already-admitted',
      admittedAt: first.body.admittedAt,
      scannedBy: 'gate-1',
    });
  });

  it('refuses an unknown code, a ticket of another event and a refunded order with a problem document', async () => {
    const unknown = await scan(organizer, 'AAAAAA-BBBBBB-CCCCCC-DDDDDDDD');
    expect(unknown).toMatchObject({ status: 404, body: { code: 'ticket-not-found' } });

    const otherEvent = await scan(organizer, matineeCode);
    expect(otherEvent).toMatchObject({ status: 422, body: { code: 'ticket-for-another-event' } });
    expect(otherEvent.body.detail).toContain(`${matinee.namespace}/${matinee.name}`);

    // No flow refunds a confirmed order yet; the order is put in that state directly, as a refund would.
    const [refunded] = take(1) as [string];
    const { rows: order } = await path.pool.query<{ code: string }>(
      `WITH refund AS (
         UPDATE orders SET status = 'REFUND_REQUIRED' WHERE id = (SELECT order_id FROM tickets WHERE code = $1)
         RETURNING id)
       SELECT code FROM tickets WHERE order_id = (SELECT id FROM refund)`,
      [refunded],
    );
    expect(order.map((t) => t.code)).toContain(refunded);
    // The refund is the whole order's: its other ticket is no longer one the other tests may admit.
    for (const { code } of order) if (codes.includes(code)) codes.splice(codes.indexOf(code), 1);
    const notPaid = await scan(organizer, refunded);
    expect(notPaid).toMatchObject({
      status: 422,
      body: { code: 'ticket-not-admissible', orderStatus: 'REFUND_REQUIRED' },
    });
    expect(notPaid.contentType).toMatch(/^application\/problem\+json/);

    const noEvent = await scan(organizer, refunded, { ...event, name: 'no-such-event' });
    expect(noEvent).toMatchObject({ status: 404, body: { code: 'event-not-found' } });
    const rows = await path.pool.query('SELECT 1 FROM ticket_admissions WHERE code = $1', [refunded]);
    expect(rows.rowCount).toBe(0);
  });

  it('refuses a misread code (a control character, U+0000) with 400 naming the field, never a 500', async () => {
    // Found by schemathesis: a code with U+0000 reached PostgreSQL, which cannot hold it (500).
    for (const misread of ['5\u0000AB', 'ABC\u0007DEF', '\u00e9t\u00e9']) {
      const answer = await scan(organizer, misread);
      expect(answer.status).toBe(400);
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({
        code: 'invalid-request',
        errors: [{ in: 'body', pointer: '#/code', detail: expect.stringContaining('ticket code') }],
      });
    }
  });

  it("refuses buyers' tokens and other organizers' scanners with 403", async () => {
    const [code] = take(1) as [string];
    const buyer = await token('buyer-1');
    const otherScanner = await token('gate-x', { roles: [{ role: 'scanner', namespaces: ['elsewhere'] }] });
    for (const bearer of [buyer, otherScanner])
      expect(await scan(bearer, code)).toMatchObject({ status: 403, body: { code: 'not-organizer' } });
  });

  it('counts admissions in the sales summary', async () => {
    const summary = await fetch(`${baseUrl}/v1/organizers/${event.namespace}/events/${event.name}/sales`, {
      headers: { Authorization: `Bearer ${organizer}` },
    });
    const { ticketTypes } = (await summary.json()) as { ticketTypes: { checkedIn: number; sold: number }[] };
    const { rows } = await path.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ticket_admissions');
    expect(rows[0]!.n).toBeGreaterThan(0);
    expect(ticketTypes).toEqual([expect.objectContaining({ checkedIn: rows[0]!.n, sold: 100 })]);
  });

  it('documents the check-in in the OpenAPI document: 201 with the admission, each refusal as a problem', async () => {
    const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown>; tags: string[] }>>;
    };
    const operation = document.paths['/v1/organizers/{namespace}/events/{name}/checkins']!.post!;
    expect(operation.tags).toEqual(['organizers']);
    expect(Object.keys(operation.responses)).toEqual(
      expect.arrayContaining(['201', '403', '404', '409', '422']),
    );
  });

  /** Every code scanned by `scanners` at the same moment; the answers per code. */
  async function scanAllAtOnce(batch: string[], scanners: string[]) {
    const answers = await Promise.all(
      batch.flatMap((code) => scanners.map(async (bearer) => ({ code, ...(await scan(bearer, code)) }))),
    );
    return batch.map((code) => answers.filter((a) => a.code === code));
  }

  const scannerTokens = (n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        token(`gate-${i}`, { roles: [{ role: 'scanner', namespaces: [event.namespace] }] }),
      ),
    );

  it('admits each ticket exactly once when eight scanners scan the same codes at the same moment', async () => {
    const batch = take(20);
    const scanners = await scannerTokens(8);
    const perCode = await scanAllAtOnce(batch, scanners);
    for (const answers of perCode) {
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      const winner = answers.find((a) => a.status === 201)!;
      for (const loser of answers.filter((a) => a.status === 409))
        expect(loser.body).toMatchObject({
          admittedAt: winner.body.admittedAt,
          scannedBy: winner.body.scannedBy,
        });
    }
    const { rows } = await path.pool.query<{ code: string; n: number }>(
      'SELECT code, count(*)::int AS n FROM ticket_admissions WHERE code = ANY($1) GROUP BY code',
      [batch],
    );
    expect(rows).toHaveLength(20);
    expect(rows.every((r) => r.n === 1)).toBe(true);
  });

  // Last: it drops the key for the rest of this file's database.
  it('would admit a ticket twice without the primary key of ticket_admissions (the race it closes)', async () => {
    await path.pool.query('ALTER TABLE ticket_admissions DROP CONSTRAINT ticket_admissions_pkey');
    const scanners = await scannerTokens(8);
    // Rounds of fresh codes until one is admitted twice; the race is likely in the first round.
    let twice: string[] = [];
    for (let round = 0; round < 5 && twice.length === 0 && codes.length >= 5; round++) {
      const perCode = await scanAllAtOnce(take(5), scanners);
      twice = perCode
        .filter((answers) => answers.filter((a) => a.status === 201).length > 1)
        .map((a) => a[0]!.code);
    }
    expect(twice.length).toBeGreaterThan(0);
    const { rows } = await path.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM ticket_admissions WHERE code = $1',
      [twice[0]],
    );
    expect(rows[0]!.n).toBeGreaterThan(1);
  });
});

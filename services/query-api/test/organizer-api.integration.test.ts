import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newOrderId } from '@boxoffice/inventory';
import { dependencies } from '@boxoffice/testkit';
import request from 'supertest';
import type { Express } from 'express';
import { eventOnSale } from '../../store/test/fixtures.ts';
import { PurchasePath } from '../../purchase-api/test/purchase-path.ts';
import { queryApiConfig } from '../src/config.ts';
import { createQueryApi } from '../src/service.ts';
import { secret, token } from './tokens.ts';

describe('organizer API (real PostgreSQL, Kafka, Redis)', () => {
  const path = new PurchasePath();
  const event = eventOnSale(path.prefix, {
    name: 'gig',
    ticketTypes: [{ name: 'standard', priceMinor: 1500, currency: 'EUR', capacity: 30 }],
    sales: { ...eventOnSale('x').sales, perBuyerLimit: 4, holdTtlSeconds: 600 },
  });
  const base = `/v1/organizers/${event.namespace}/events/${event.name}`;
  let app: Express;
  let organizer: string;
  let stop: () => void;

  beforeAll(async () => {
    await path.start();
    await path.provision(event);
    await path.startAllocator(event);
    const api = createQueryApi({
      config: queryApiConfig.parse({
        DATABASE_URL: path.databaseUrl,
        REDIS_URL: dependencies().redisUrl,
        KAFKA_BROKERS: dependencies().kafkaBrokers.join(','),
        BOXOFFICE_PREFIX: path.prefix,
        JWT_SECRET: secret,
      }),
      pool: path.pool,
      redis: path.redis,
      logger: path.logger,
    });
    app = api.http.app;
    stop = api.stop;
    organizer = await token('org-1', { roles: [{ role: 'organizer', namespaces: [event.namespace] }] });
    // 12 orders; one buyer id needs CSV quoting.
    for (let i = 0; i < 12; i++)
      expect(
        (
          await path.orders.place({
            event,
            buyerId: i === 0 ? 'o"neil, jr' : `buyer-${i}`,
            ticketType: 'standard',
            quantity: 1 + (i % 2),
            idempotencyKey: newOrderId(),
            ...(i % 3 === 0 ? { channel: 'box-office' } : {}),
          })
        ).kind,
      ).toBe('accepted');
  });
  afterAll(async () => {
    stop();
    await path.stop();
  });

  it("refuses a buyer's token and another organizer's with 403", async () => {
    const buyer = await token('buyer-1');
    const other = await token('org-2', { roles: [{ role: 'organizer', namespaces: ['elsewhere'] }] });
    const scanner = await token('gate-1', { roles: [{ role: 'scanner', namespaces: [event.namespace] }] });
    for (const bearer of [buyer, other, scanner]) {
      const response = await request(app).get(`${base}/sales`).set('Authorization', `Bearer ${bearer}`);
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('not-organizer');
    }
  });

  it('shows the live sale per ticket type', async () => {
    const response = await request(app).get(`${base}/sales`).set('Authorization', `Bearer ${organizer}`);
    expect(response.status).toBe(200);
    expect(response.body.ticketTypes).toEqual([
      {
        ticketType: 'standard',
        capacity: 30,
        held: 18,
        sold: 0,
        remaining: 12,
        revenueMinor: 0,
        currency: 'EUR',
        checkedIn: 0,
      },
    ]);
  });

  it('pages through every order once, newest first, with filters', async () => {
    const seen: { id: string; createdAt: string }[] = [];
    let cursor: string | undefined;
    do {
      const response = await request(app)
        .get(`${base}/orders`)
        .query({ limit: 5, ...(cursor ? { cursor } : {}) })
        .set('Authorization', `Bearer ${organizer}`);
      expect(response.status).toBe(200);
      seen.push(...response.body.items);
      cursor = response.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(12);
    expect(new Set(seen.map((o) => o.id)).size).toBe(12);
    expect([...seen].sort((a, b) => b.createdAt.localeCompare(a.createdAt))).toEqual(seen);
    const boxOffice = await request(app)
      .get(`${base}/orders`)
      .query({ channel: 'box-office' })
      .set('Authorization', `Bearer ${organizer}`);
    expect(boxOffice.body.items).toHaveLength(4);
    const bad = await request(app)
      .get(`${base}/orders`)
      .query({ cursor: 'nope' })
      .set('Authorization', `Bearer ${organizer}`);
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid-cursor');
  });

  it('exports the orders as CSV with quoting', async () => {
    const response = await request(app).get(`${base}/orders.csv`).set('Authorization', `Bearer ${organizer}`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    const lines = response.text.trim().split('\n');
    expect(lines[0]).toBe(
      'id,createdAt,status,ticketType,quantity,channel,amountMinor,currency,buyerId,rejectReason',
    );
    expect(lines).toHaveLength(13);
    expect(response.text).toContain(',"o""neil, jr",');
  });

  it('answers an export that fails before its first row with a problem document, not a 200 cut short', async () => {
    // The orders table out of reach for a moment: the first page's query fails.
    await path.pool.query('ALTER TABLE orders RENAME TO orders_unreachable');
    try {
      const response = await request(app)
        .get(`${base}/orders.csv`)
        .set('Authorization', `Bearer ${organizer}`);
      expect(response.status).toBe(500);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.code).toBe('internal');
    } finally {
      await path.pool.query('ALTER TABLE orders_unreachable RENAME TO orders');
    }
  });

  it('documents the organizer routes in the OpenAPI document', async () => {
    const response = await request(app).get('/openapi.json');
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining([
        `/v1/organizers/{namespace}/events/{name}/orders.csv`,
        `/v1/organizers/{namespace}/events/{name}/sales`,
      ]),
    );
  });
});

import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { jsonBody } from './body.ts';
import { problemHandler } from './problem.ts';
import { validate } from './validate.ts';

const schemas = {
  params: z.object({ name: z.string().regex(/^[a-z0-9-]+$/) }),
  query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
  body: z.object({
    ticketType: z.string().min(1),
    quantity: z.number().int().min(1).max(10),
    buyer: z.strictObject({ email: z.email() }).optional(),
  }),
  headers: z.object({ 'idempotency-key': z.string().min(8).max(128) }),
};

function app() {
  const app = express();
  app.use(jsonBody());
  app.post('/events/:name/orders', validate(schemas), (_req, res) => {
    res.json(res.locals.input);
  });
  app.use(problemHandler());
  return app;
}

describe('request validation', () => {
  it('hands the handler parsed, coerced input and ignores extra headers', async () => {
    const response = await request(app())
      .post('/events/summer-fest/orders?limit=5')
      .set('Idempotency-Key', 'key-12345678')
      .set('X-Request-Id', 'abc')
      .send({ ticketType: 'ga', quantity: 2 });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      params: { name: 'summer-fest' },
      query: { limit: 5 },
      body: { ticketType: 'ga', quantity: 2 },
      headers: expect.objectContaining({ 'idempotency-key': 'key-12345678', 'x-request-id': 'abc' }),
    });
  });

  it('rejects unknown body fields, naming each with a JSON Pointer', async () => {
    const response = await request(app())
      .post('/events/summer-fest/orders')
      .set('Idempotency-Key', 'key-12345678')
      .send({ ticketType: 'ga', quantity: 2, price: 0, buyer: { email: 'a@b.co', admin: true } });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual(
      expect.arrayContaining([
        { in: 'body', pointer: '#/price', detail: 'Unknown field' },
        { in: 'body', pointer: '#/buyer/admin', detail: 'Unknown field' },
      ]),
    );
    expect(response.body.errors).toHaveLength(2);
  });

  it('reports every invalid part of the request at once, with where it was found', async () => {
    const response = await request(app())
      .post('/events/Summer_Fest/orders?limit=0&debug=1')
      .send({ ticketType: 'ga', quantity: 1e9 });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const locations = response.body.errors.map(
      (error: { in: string; pointer: string }) => `${error.in} ${error.pointer}`,
    );
    expect(locations.sort()).toEqual(
      [
        'body #/quantity',
        'headers #/idempotency-key',
        'params #/name',
        'query #/debug',
        'query #/limit',
      ].sort(),
    );
    expect(response.body.detail).toBe('5 fields are invalid');
  });

  it('names the field in the detail when only one is invalid', async () => {
    const response = await request(app())
      .post('/events/fest/orders')
      .set('Idempotency-Key', 'key-12345678')
      .send({ ticketType: 'ga', quantity: -3 });
    expect(response.status).toBe(400);
    expect(response.body.detail).toMatch(/^body \/quantity: /);
  });

  it('rejects a missing body and a JSON body of the wrong shape', async () => {
    const missing = await request(app()).post('/events/fest/orders').set('Idempotency-Key', 'key-12345678');
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([{ in: 'body', pointer: '#', detail: expect.any(String) }]);
    const array = await request(app())
      .post('/events/fest/orders')
      .set('Idempotency-Key', 'key-12345678')
      .send([1]);
    expect(array.status).toBe(400);
  });
});

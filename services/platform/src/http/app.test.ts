import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import request from 'supertest';
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { defineErrors } from '../errors/registry.ts';
import { createHttpApp, type RunningHttpServer } from './app.ts';
import { defineRoute, type AnyRoute } from './route.ts';

const ShopErrors = defineErrors({ SoldOut: { code: 'sold-out', status: 409, title: 'Sold out' } });
const logger = pino({ level: 'silent' });

let release: () => void = () => undefined;
const routes = [
  defineRoute({
    operationId: 'createOrder',
    method: 'post',
    path: '/v1/events/{namespace}/{name}/orders',
    summary: 'Hold tickets',
    request: {
      params: z.object({ namespace: z.string(), name: z.string() }),
      body: z.object({ ticketType: z.string(), quantity: z.number().int().min(1).max(10) }),
    },
    responses: {
      201: { description: 'Held', schema: z.object({ event: z.string(), quantity: z.number() }) },
    },
    problems: [ShopErrors.SoldOut],
    handler: ({ params, body }, _req, res) => {
      if (body.ticketType === 'vip') throw new AppError(ShopErrors.SoldOut);
      res.status(201).json({ event: `${params.namespace}/${params.name}`, quantity: body.quantity });
    },
  }),
  defineRoute({
    operationId: 'slow',
    method: 'get',
    path: '/v1/slow',
    summary: 'Finishes when the test says so',
    responses: { 200: { description: 'Done' } },
    handler: async (_input, _req, res) => {
      await new Promise<void>((resolve) => (release = resolve));
      res.status(200).end();
    },
  }),
  defineRoute({
    operationId: 'silent',
    method: 'get',
    path: '/v1/silent',
    summary: 'Forgets to answer',
    responses: { 200: { description: 'Never' } },
    handler: () => undefined,
  }),
] as AnyRoute[];

function service() {
  return createHttpApp({ routes, openapi: { title: 'test-api', version: '0.0.1' }, logger });
}

describe('HTTP app', () => {
  let running: RunningHttpServer | undefined;
  afterEach(async () => {
    await running?.close({ timeoutMs: 100 });
    running = undefined;
  });

  it('validates, calls the handler with typed input and answers', async () => {
    const response = await request(service().app)
      .post('/v1/events/acme/summer-fest/orders')
      .send({ ticketType: 'ga', quantity: 2 });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ event: 'acme/summer-fest', quantity: 2 });
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers bad input, domain errors, unknown paths and wrong methods with problem documents', async () => {
    const { app } = service();
    const invalid = await request(app)
      .post('/v1/events/acme/fest/orders')
      .send({ ticketType: 'ga', quantity: 0, x: 1 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors).toHaveLength(2);
    const soldOut = await request(app)
      .post('/v1/events/acme/fest/orders')
      .send({ ticketType: 'vip', quantity: 1 });
    expect(soldOut.status).toBe(409);
    expect(soldOut.body).toMatchObject({ code: 'sold-out', instance: '/v1/events/acme/fest/orders' });
    const unknown = await request(app).get('/v2/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    const wrongMethod = await request(app).delete('/v1/events/acme/fest/orders');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
    const huge = await request(app)
      .post('/v1/events/acme/fest/orders')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ ticketType: 'x'.repeat(20_000), quantity: 1 }));
    expect(huge.status).toBe(413);
  });

  it('treats a handler that sends nothing as an internal error rather than hanging', async () => {
    const response = await request(service().app).get('/v1/silent');
    expect(response.status).toBe(500);
    expect(response.body.code).toBe('internal');
  });

  it('serves its OpenAPI document and probes next to the API', async () => {
    const { app } = service();
    const doc = await request(app).get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual([
      '/v1/events/{namespace}/{name}/orders',
      '/v1/slow',
      '/v1/silent',
    ]);
    expect((await request(app).get('/healthz')).status).toBe(200);
    expect((await request(app).get('/readyz')).status).toBe(200);
    expect((await request(app).get('/metrics')).text).toContain('http_request_duration_seconds');
  });

  it('shuts down gracefully: readiness fails, in-flight requests finish, new connections are refused', async () => {
    const http = service();
    running = await http.listen({ port: 0, host: '127.0.0.1' });
    const inFlight = fetch(`${running.url}/v1/slow`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = running.close({ timeoutMs: 5_000 });
    expect(http.isDraining()).toBe(true);
    expect(http.shutdownSignal.aborted).toBe(true);
    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.headers.get('connection')).toBe('close');
    await closing;
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
  });

  it('cuts requests still running at the shutdown deadline', async () => {
    running = await service().listen({ port: 0, host: '127.0.0.1' });
    const stuck = fetch(`${running.url}/v1/slow`).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await running.close({ timeoutMs: 100 });
    expect(String(await stuck)).toMatch(/fetch failed|terminated|socket/);
    release();
  });
});

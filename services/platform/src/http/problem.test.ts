import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { defineErrors } from '../errors/registry.ts';
import { jsonBody } from './body.ts';
import { notFoundHandler, problemHandler } from './problem.ts';

const ShopErrors = defineErrors({ SoldOut: { code: 'sold-out', status: 409, title: 'Sold out' } });

function app() {
  const app = express();
  app.use(jsonBody({ limit: '1kb' }));
  app.post('/echo', (req, res) => {
    res.json(req.body);
  });
  app.get('/sold-out', () => {
    throw new AppError(ShopErrors.SoldOut, {
      detail: 'No VIP tickets left',
      extensions: { ticketType: 'vip', type: 'spoofed' },
      headers: { 'Cache-Control': 'no-store' },
    });
  });
  app.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  app.get('/boom', async () => {
    throw new Error('connection to 10.0.0.7:5432 refused');
  });
  app.post('/parse', (req) => {
    z.strictObject({ quantity: z.number().int().positive() }).parse(req.body);
  });
  app.use(notFoundHandler());
  app.use(problemHandler());
  return app;
}

describe('problem documents', () => {
  it('answers a declared error with its status, type URI, detail and extensions as problem+json', async () => {
    const response = await request(app()).get('/sold-out?x=1');
    expect(response.status).toBe(409);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toEqual({
      type: 'https://boxoffice.dev/problems/sold-out',
      title: 'Sold out',
      status: 409,
      code: 'sold-out',
      detail: 'No VIP tickets left',
      instance: '/sold-out',
      ticketType: 'vip',
    });
  });

  it('turns an unknown error into a 500 internal problem without leaking its message or stack', async () => {
    const response = await request(app()).get('/boom');
    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      type: 'https://boxoffice.dev/problems/internal',
      title: 'Internal server error',
      status: 500,
      code: 'internal',
      instance: '/boom',
    });
    expect(response.text).not.toMatch(/10\.0\.0\.7|at .*\.ts/);
  });

  it('answers malformed JSON with 400 malformed-json', async () => {
    const response = await request(app())
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send('{"quantity": ');
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('malformed-json');
    expect(response.text).not.toMatch(/Unexpected|position/);
  });

  it('answers a body over the limit with 413', async () => {
    const response = await request(app())
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ pad: 'x'.repeat(2048) }));
    expect(response.status).toBe(413);
    expect(response.body.code).toBe('payload-too-large');
  });

  it('answers a body that is not JSON with 415 instead of ignoring it', async () => {
    const response = await request(app()).post('/echo').set('Content-Type', 'text/plain').send('quantity=2');
    expect(response.status).toBe(415);
    expect(response.body.code).toBe('unsupported-media-type');
    const form = await request(app()).post('/echo').type('form').send({ quantity: 2 });
    expect(form.status).toBe(415);
  });

  it('accepts JSON with a charset and a request without a body', async () => {
    const withCharset = await request(app())
      .post('/echo')
      .set('Content-Type', 'application/json; charset=utf-8')
      .send('{"a":1}');
    expect(withCharset.status).toBe(200);
    expect(withCharset.body).toEqual({ a: 1 });
  });

  it('maps a ZodError thrown by a handler to 400 with field pointers', async () => {
    const response = await request(app()).post('/parse').send({ quantity: -1, extra: true });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid-request');
    expect(response.body.errors).toEqual([
      { in: 'body', pointer: '#/quantity', detail: expect.any(String) },
      { in: 'body', pointer: '#/extra', detail: 'Unknown field' },
    ]);
  });

  it('answers a path with broken percent-encoding with 400, not 500', async () => {
    const response = await request(app()).get('/items/%E0%A4%A');
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid-request');
  });

  it('answers an unknown route with a 404 problem naming it', async () => {
    const response = await request(app()).get('/nope');
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({
      code: 'not-found',
      instance: '/nope',
      detail: 'No resource at GET /nope',
    });
  });
});

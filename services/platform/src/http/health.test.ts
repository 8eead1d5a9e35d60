import { describe, expect, it } from '@jest/globals';
import express from 'express';
import { Registry } from 'prom-client';
import request from 'supertest';
import { healthRouter, type ReadinessCheck } from './health.ts';
import { httpMetrics } from './metrics-middleware.ts';
import { notFoundHandler, problemHandler } from './problem.ts';
import { markRoute } from './route.ts';

function app(checks: ReadinessCheck[], draining = false) {
  const registry = new Registry();
  const app = express();
  app.use(httpMetrics(registry));
  app.use(healthRouter({ checks, registry, isDraining: () => draining }));
  app.get('/v1/orders/:orderId', markRoute('/v1/orders/{orderId}'), (_req, res) => {
    res.status(201).json({});
  });
  app.use(notFoundHandler());
  app.use(problemHandler());
  return app;
}

const ok = (name: string): ReadinessCheck => ({ name, check: async () => undefined });

describe('probes', () => {
  it('reports liveness without running dependency checks', async () => {
    let ran = false;
    const response = await request(app([{ name: 'postgres', check: async () => (ran = true) }])).get(
      '/healthz',
    );
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
    expect(ran).toBe(false);
  });

  it('is ready when every check passes', async () => {
    const response = await request(app([ok('postgres'), ok('redis')])).get('/readyz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'ready',
      checks: [
        { name: 'postgres', status: 'ok' },
        { name: 'redis', status: 'ok' },
      ],
    });
  });

  it('answers 503 naming the checks that failed or timed out, without their error messages', async () => {
    const response = await request(
      app([
        ok('postgres'),
        { name: 'kafka', check: async () => Promise.reject(new Error('connect ECONNREFUSED 10.1.2.3:9092')) },
        { name: 'redis', check: () => new Promise(() => undefined), timeoutMs: 50 },
        { name: 'consumer', check: async () => false },
      ]),
    ).get('/readyz');
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      code: 'unavailable',
      detail: 'Not ready: kafka failed, redis timeout, consumer failed',
      checks: [
        { name: 'postgres', status: 'ok' },
        { name: 'kafka', status: 'failed' },
        { name: 'redis', status: 'timeout' },
        { name: 'consumer', status: 'failed' },
      ],
    });
    expect(response.text).not.toContain('10.1.2.3');
  });

  it('stays ready but says degraded when only an optional check fails', async () => {
    const degraded = await request(
      app([
        ok('postgres'),
        { name: 'redis', check: async () => Promise.reject(new Error('ECONNREFUSED')), optional: true },
      ]),
    ).get('/readyz');
    expect(degraded.status).toBe(200);
    expect(degraded.body).toEqual({
      status: 'degraded',
      checks: [
        { name: 'postgres', status: 'ok' },
        { name: 'redis', status: 'failed', optional: true },
      ],
    });

    const down = await request(
      app([
        { name: 'postgres', check: async () => false },
        { name: 'redis', check: async () => false, optional: true },
      ]),
    ).get('/readyz');
    expect(down.status).toBe(503);
    expect(down.body.detail).toBe('Not ready: postgres failed');
  });

  it('is not ready while draining, whatever the checks say', async () => {
    const response = await request(app([ok('postgres')], true)).get('/readyz');
    expect(response.status).toBe(503);
    expect(response.body.detail).toBe('Shutting down');
  });
});

describe('request metrics', () => {
  it('records duration by method, route template and status; unknown paths as unmatched', async () => {
    const server = app([]);
    await request(server).get('/v1/orders/0190a0b0-0000-7000-8000-000000000001');
    await request(server).get('/v1/orders/another-id');
    await request(server).get('/wp-admin/setup.php');
    const metrics = (await request(server).get('/metrics')).text;
    expect(metrics).toContain(
      'http_request_duration_seconds_count{method="GET",route="/v1/orders/{orderId}",status_code="201"} 2',
    );
    expect(metrics).toContain(
      'http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"} 1',
    );
    expect(metrics).not.toContain('wp-admin');
    expect(metrics).not.toContain('0190a0b0');
  });
});

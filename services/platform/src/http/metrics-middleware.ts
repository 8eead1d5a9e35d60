/**
 * RED metrics per route: `http_request_duration_seconds{method,route,status_code}`. The route
 * label is the template (`/v1/orders/{orderId}`), never the URL, so cardinality stays bounded;
 * requests that match no route are counted as `unmatched`.
 */
import type { RequestHandler } from 'express';
import { Histogram, type Registry } from 'prom-client';
import { routeTemplateOf } from './route.ts';

export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function httpMetrics(registry: Registry): RequestHandler {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers: [registry],
  });
  return (req, res, next) => {
    const end = duration.startTimer();
    // `close` also fires when the client hangs up before the response finishes.
    res.once('close', () => {
      end({
        method: req.method,
        route: routeTemplateOf(res) ?? 'unmatched',
        status_code: String(res.statusCode),
      });
    });
    next();
  };
}

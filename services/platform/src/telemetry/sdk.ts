import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Span } from '@opentelemetry/api';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { stopTelemetry, whenStopping } from './lifecycle.ts';
import { samplerFromEnv } from './sampler.ts';

/** Probes and scrapes: every few seconds per pod, never the subject of a trace. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Starts OpenTelemetry before the application is imported. Exporters, sampling and the service
 * name come from the standard OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME,
 * OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, OTEL_TRACES_EXPORTER=none or
 * OTEL_SDK_DISABLED=true to switch it off): docs/observability.md, "Traces".
 *
 * HTTP, express, PostgreSQL and Redis are instrumented automatically; Kafka is traced by
 * telemetry/messaging.ts where messages are made and batches processed, because the kafkajs
 * instrumentation parents every message of a `sendBatch` to whichever request triggered the send,
 * which is wrong for a producer that coalesces many requests' messages into one.
 */
export function startTelemetry(serviceName: string): NodeSDK | undefined {
  if (process.env.OTEL_SDK_DISABLED === 'true') return undefined;
  process.env.OTEL_SERVICE_NAME ??= serviceName;
  process.env.OTEL_METRICS_EXPORTER ??= 'none'; // metrics are scraped from /metrics (prom-client)
  process.env.OTEL_LOGS_EXPORTER ??= 'none'; // logs go to stdout as JSON, with trace ids (logger.ts)
  // A batch span links every message it processed; the SDK's default keeps only 128 links.
  process.env.OTEL_SPAN_LINK_COUNT_LIMIT ??= '1000';
  const sdk = new NodeSDK({
    sampler: samplerFromEnv(),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has(pathOf(request)),
        responseHook: announceTrace,
      }),
      // The route's handler only: a span per middleware and router layer (body parser, auth, rate
      // limit, the probes' router) would add eight spans to every purchase and say little.
      new ExpressInstrumentation({
        ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER],
      }),
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  whenStopping(() => sdk.shutdown());
  process.once('beforeExit', () => void stopTelemetry());
  return sdk;
}

function pathOf(request: IncomingMessage): string {
  return (request.url ?? '').split('?', 1)[0]!;
}

/**
 * Tells the client which trace its request is (W3C Trace Context Level 2 `traceresponse`:
 * version-traceid-spanid-flags), so a buyer's support ticket or a test can name it. The id is
 * there whether or not the trace was sampled (flags 00: not kept); the logs carry it either way.
 */
function announceTrace(span: Span, response: IncomingMessage | ServerResponse): void {
  if (!(response instanceof ServerResponse) || response.headersSent) return;
  const { traceId, spanId, traceFlags } = span.spanContext();
  response.setHeader('traceresponse', `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`);
}

/**
 * The express app every service shares, so purchase-api and query-api only declare routes.
 * Order matters: metrics first (they time everything, errors included), probes and the OpenAPI
 * document before body parsing (no body, never rate limited), then JSON bodies, the routes,
 * 404/405, and the problem handler last.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import express from 'express';
import type { Express, Response } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createMetricsRegistry } from '../metrics.ts';
import { jsonBody } from './body.ts';
import { healthRouter, type ReadinessCheck } from './health.ts';
import { httpMetrics } from './metrics-middleware.ts';
import { buildOpenApiDocument, openApiHandler, type OpenApiDocument, type OpenApiInfo } from './openapi.ts';
import { notFoundHandler, problemHandler } from './problem.ts';
import { requestLog } from './request-log.ts';
import { markRoute, routesRouter, type AnyRoute, type DocumentedMiddleware } from './route.ts';
import { trustProxySetting } from './trusted-proxies.ts';

export interface HttpAppOptions {
  routes: readonly AnyRoute[];
  openapi: OpenApiInfo;
  logger: Logger;
  checks?: readonly ReadinessCheck[];
  /** Default: a new registry with Node's default metrics. */
  registry?: Registry;
  /** Largest JSON body. Default 16kb: no request of this API needs more. */
  bodyLimit?: string | number;
  /**
   * The proxies whose X-Forwarded-For `req.ip` believes (per-IP limits, per-client caps): the
   * `TRUSTED_PROXIES` config. Default none: the TCP peer is the client.
   */
  trustedProxies?: readonly string[];
  /** Run for every API route (not probes), before routing: e.g. a per-IP limit. */
  middleware?: DocumentedMiddleware[];
}

export interface RunningHttpServer {
  server: Server;
  port: number;
  url: string;
  /** Graceful stop: fail readiness, wait `drainDelayMs`, stop accepting, let requests finish, then cut what is left after `timeoutMs`. */
  close(options?: { drainDelayMs?: number; timeoutMs?: number }): Promise<void>;
}

export interface HttpApp {
  app: Express;
  openapi: OpenApiDocument;
  registry: Registry;
  /** Aborted when shutdown starts, so long-lived responses (SSE streams) can end themselves. */
  shutdownSignal: AbortSignal;
  isDraining(): boolean;
  listen(options?: { port?: number; host?: string }): Promise<RunningHttpServer>;
}

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const registry = options.registry ?? createMetricsRegistry();
  const shutdown = new AbortController();
  const isDraining = () => shutdown.signal.aborted;
  const document = buildOpenApiDocument(options.openapi, options.routes);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxySetting(options.trustedProxies ?? []));
  app.use(httpMetrics(registry));
  // Responses not yet started when draining begins tell keep-alive clients to reconnect
  // (elsewhere) instead of reusing a connection that is about to close.
  const pending = new Set<Response>();
  shutdown.signal.addEventListener('abort', () => {
    for (const res of pending) if (!res.headersSent) res.set('Connection', 'close');
  });
  app.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    if (isDraining()) res.set('Connection', 'close');
    else {
      pending.add(res);
      res.once('close', () => pending.delete(res));
    }
    next();
  });
  app.use(healthRouter({ checks: options.checks ?? [], registry, logger: options.logger, isDraining }));
  app.get('/openapi.json', markRoute('/openapi.json'), openApiHandler(document));
  app.use(requestLog(options.logger)); // API requests only: probes would fill a debug log
  if (options.middleware?.length) app.use(...options.middleware);
  app.use(jsonBody({ limit: options.bodyLimit ?? '16kb' }));
  app.use(routesRouter(options.routes));
  app.use(notFoundHandler());
  app.use(problemHandler(options.logger));

  return {
    app,
    openapi: document,
    registry,
    shutdownSignal: shutdown.signal,
    isDraining,
    async listen({ port = 0, host = '0.0.0.0' } = {}) {
      const server = app.listen(port, host);
      // Longer than typical load-balancer idle timeouts (60 s), so the proxy closes first.
      server.keepAliveTimeout = 65_000;
      server.headersTimeout = 66_000;
      await once(server, 'listening');
      const { port: bound } = server.address() as AddressInfo;
      return {
        server,
        port: bound,
        url: `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${bound}`,
        close: (closeOptions) => closeGracefully(server, shutdown, options.logger, closeOptions),
      };
    },
  };
}

async function closeGracefully(
  server: Server,
  shutdown: AbortController,
  logger: Logger,
  { drainDelayMs = 0, timeoutMs = 10_000 }: { drainDelayMs?: number; timeoutMs?: number } = {},
): Promise<void> {
  if (!server.listening) return;
  shutdown.abort();
  // Kubernetes removes the endpoint asynchronously; keep serving while the news spreads.
  if (drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
  const closed = new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
  server.closeIdleConnections();
  const deadline = setTimeout(() => {
    logger.warn({ timeoutMs }, 'requests still running at shutdown deadline; closing their connections');
    server.closeAllConnections();
  }, timeoutMs);
  try {
    await closed;
  } finally {
    clearTimeout(deadline);
  }
}

/** Runs `stop` once on SIGTERM or SIGINT (a second signal exits at once). */
export function onShutdownSignal(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => logger.info('stopped'),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

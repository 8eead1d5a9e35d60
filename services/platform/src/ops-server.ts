import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export type ReadinessCheck = () => Promise<boolean> | boolean;

/**
 * `/healthz`, `/readyz` and `/metrics` for processes without a public HTTP API (allocator,
 * operator). `/readyz` runs every named check and reports which failed.
 */
export function startOpsServer(options: {
  port: number;
  host?: string;
  registry: Registry;
  checks: Record<string, ReadinessCheck>;
}): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      if (req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } else if (req.url === '/readyz') {
        const results = await Promise.all(
          Object.entries(options.checks).map(
            async ([name, check]) => [name, await Promise.resolve(check()).catch(() => false)] as const,
          ),
        );
        const failed = results.filter(([, ok]) => !ok).map(([name]) => name);
        res
          .writeHead(failed.length ? 503 : 200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ready: failed.length === 0, failed }));
      } else if (req.url === '/metrics') {
        res
          .writeHead(200, { 'content-type': options.registry.contentType })
          .end(await options.registry.metrics());
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      }
    })();
  });
  return new Promise((resolve) =>
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve(server)),
  );
}

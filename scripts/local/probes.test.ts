import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Container } from '@kubernetes/client-node';
import { freePort } from '../deps/processes.ts';
import { containerPortResolver, probeOnce, runProbes } from './probes.ts';

/** Waits for a condition (the probes run on their own periods; a busy machine delays them). */
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let server: Server;
let port: number;
let readyz = 503;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.statusCode = req.url === '/readyz' ? readyz : req.url === '/healthz' ? 200 : 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("a container's probes", () => {
  const container: V1Container = { name: 'api', ports: [{ name: 'http', containerPort: 8080 }] };

  it('reach a named or numbered container port on the host port it listens on', () => {
    const resolve = containerPortResolver(container, new Map([[8080, 40_123]]));
    expect(resolve('http')).toBe(40_123);
    expect(resolve(8080)).toBe(40_123);
    expect(resolve('9000')).toBe(9000);
    expect(resolve('metrics')).toBeUndefined();
  });

  it('succeed on 2xx and 3xx, fail on other statuses and on a closed port, with the reason', async () => {
    const at = () => port;
    expect(await probeOnce({ httpGet: { path: '/healthz', port: 'http' } }, at)).toEqual({ ok: true });
    readyz = 503;
    expect(await probeOnce({ httpGet: { path: '/readyz', port: 'http' } }, at)).toEqual({
      ok: false,
      reason: `GET http://127.0.0.1:${port}/readyz: HTTP 503`,
    });
    const closed = await freePort();
    const result = await probeOnce({ tcpSocket: { port: closed } }, () => closed);
    expect(result.ok).toBe(false);
    expect(await probeOnce({ httpGet: { path: '/healthz', port: 'metrics' } }, () => undefined)).toEqual({
      ok: false,
      reason: 'no container port named metrics',
    });
  });

  it('report ready only after the startup probe passed and the readiness probe answers, and every failure', async () => {
    readyz = 503;
    const events: string[] = [];
    const probes = runProbes(
      {
        ...container,
        startupProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
        readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 },
      },
      () => port,
      {
        readiness: (ready) => events.push(`ready=${ready}`),
        unhealthy: (reason) => events.push(`unhealthy: ${reason}`),
        failed: (kind) => events.push(`${kind} failed`),
      },
    );
    try {
      await until(() => events.length >= 2);
      readyz = 200;
      await until(() => events.includes('ready=true'));
      // The startup probe passed at once; readiness failed until /readyz answered, then flipped once.
      expect(events.slice(0, 2)).toEqual(['readiness failed', 'readiness failed']);
      expect(events.filter((e) => e !== 'readiness failed')).toEqual(['ready=true']);
      expect(events.at(-1)).toBe('ready=true');
    } finally {
      probes.stop();
    }
  });

  it('ask for a restart once the startup probe fails failureThreshold times', async () => {
    const closed = await freePort();
    const reasons: string[] = [];
    const probes = runProbes(
      { ...container, startupProbe: { tcpSocket: { port: 'http' }, periodSeconds: 1, failureThreshold: 2 } },
      () => closed,
      {
        readiness: () => reasons.push('ready'),
        unhealthy: (reason) => reasons.push(reason),
        failed: () => undefined,
      },
    );
    try {
      await until(() => reasons.length > 0);
      expect(reasons).toEqual([
        expect.stringMatching(/^startup probe failed: tcp \d+: connect ECONNREFUSED/),
      ]);
    } finally {
      probes.stop();
    }
  });
});

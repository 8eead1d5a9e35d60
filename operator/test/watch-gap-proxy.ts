import { writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';

const isWatch = (url: string | undefined): boolean => /[?&]watch=(true|1)(&|$)/.test(url ?? '');

/**
 * A loopback proxy between one operator process and the API server, authenticating upstream as the
 * operator's identity. It passes every request through, except that during a gap it ends the open
 * watch streams cleanly (as an API server does at its watch timeout) and holds the watches the
 * informers open again until the gap ends: the informers resume with the resourceVersion they had
 * before the gap, while leases and reconciles keep working. It counts the 410 Gone answers.
 */
export class WatchGapProxy {
  /** Watches answered 410 (HTTP status or an ERROR event with code 410). */
  gone = 0;
  private server: http.Server | undefined;
  private gap = false;
  private readonly held: (() => void)[] = [];
  private readonly open = new Set<http.ServerResponse>();

  private readonly upstream: KubeConfig;

  constructor(upstream: KubeConfig) {
    this.upstream = upstream;
  }

  /** Starts listening; returns a kubeconfig file for the operator that points at the proxy. */
  async start(name: string): Promise<string> {
    const server = (this.server = http.createServer((req, res) => {
      if (this.gap && isWatch(req.url)) this.held.push(() => void this.forward(req, res));
      else void this.forward(req, res);
    }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const file = join(tmpdir(), `${name}.kubeconfig`);
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        // Plain HTTP on loopback: client-node accepts an http server only with TLS verification off.
        clusters: [
          {
            name: 'proxy',
            cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true },
          },
        ],
        users: [{ name: 'proxy', user: {} }],
        contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'proxy' } }],
        'current-context': 'proxy',
      }),
      { mode: 0o600 },
    );
    return file;
  }

  /** Watch streams open right now. */
  get watches(): number {
    return this.open.size;
  }

  beginGap(): void {
    this.gap = true;
    for (const res of this.open) res.end();
  }

  endGap(): void {
    this.gap = false;
    for (const release of this.held.splice(0)) release();
  }

  async stop(): Promise<void> {
    this.endGap();
    for (const res of this.open) res.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const target = new URL(this.upstream.getCurrentCluster()!.server);
    const options: https.RequestOptions = {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
    };
    await this.upstream.applyToHTTPSOptions(options);
    const watch = isWatch(req.url);
    const upstream = https.request(options, (answer) => {
      if (watch && answer.statusCode === 410) this.gone++;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (!watch) return void answer.pipe(res);
      this.open.add(res);
      answer.on('data', (chunk: Buffer) => {
        if (/"code":410/.test(chunk.toString())) this.gone++;
        res.write(chunk);
      });
      answer.on('end', () => res.end());
      answer.on('error', () => res.destroy());
    });
    res.on('close', () => {
      this.open.delete(res);
      upstream.destroy();
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const main = join(import.meta.dirname, '..', 'src', 'main.ts');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One operator replica as its own process (`node operator/src/main.ts`), as a Deployment would run it. */
export class OperatorProcess {
  readonly identity: string;
  readonly log: string;
  port = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;

  constructor(identity: string) {
    this.identity = identity;
    this.log = join(tmpdir(), `${identity}.log`);
  }

  async start(env: Record<string, string>): Promise<this> {
    this.port = await freePort();
    const out = createWriteStream(this.log, { flags: 'a' });
    this.child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        ...env,
        PORT: String(this.port),
        POD_NAME: this.identity,
        OTEL_SDK_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.pipe(out);
    this.child.stderr!.pipe(out);
    this.exited = new Promise((resolve) => this.child!.once('exit', (code) => resolve(code)));
    return this;
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`http://127.0.0.1:${this.port}${path}`);
    return { status: response.status, body: await response.text() };
  }

  /** 1 while this replica holds the lease, from its own /metrics. */
  async leading(): Promise<boolean> {
    const { body } = await this.get('/metrics').catch(() => ({ body: '' }));
    return /^boxoffice_operator_leader\{[^}]*\} 1$/m.test(body);
  }

  /** A crash: no shutdown, no lease release. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** A graceful stop (what Kubernetes sends first); resolves to the exit code. */
  async terminate(): Promise<number | null> {
    this.child?.kill('SIGTERM');
    return (await this.exited) ?? null;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
}

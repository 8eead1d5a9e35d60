import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { depsStateDir } from '../../scripts/deps/paths.ts';
import { freePort, stopDaemon } from '../../scripts/deps/processes.ts';
import { startRedisServer } from '../../scripts/deps/redis.ts';

/**
 * A Redis server of one suite's own, for tests that stop it and start it again (an outage; the
 * shared server must stay up for the other suites). Started like the shared one, on the same port
 * every time, so the clients of the services under test reconnect by themselves.
 */
export class DedicatedRedis {
  readonly url: string;
  private readonly options: { port: number; dir: string; logFile: string; pidFile: string };

  private constructor(port: number, dir: string) {
    this.url = `redis://127.0.0.1:${port}`;
    this.options = {
      port,
      dir,
      logFile: join(dir, 'redis-server.log'),
      pidFile: join(dir, 'redis-server.pid'),
    };
  }

  /** `name`: one per suite; its directory (and log) is reused by the next run. */
  static async start(name: string): Promise<DedicatedRedis> {
    const dir = join(depsStateDir, 'redis-dedicated', name);
    mkdirSync(dir, { recursive: true });
    const server = new DedicatedRedis(await freePort(), dir);
    await server.start();
    return server;
  }

  async start(): Promise<void> {
    await startRedisServer(this.options);
  }

  /** Stops the server process (by the PID it was started with) and waits until it is gone. */
  async stop(): Promise<void> {
    await stopDaemon(this.options.pidFile, 5_000);
  }
}

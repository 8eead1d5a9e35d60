import { Redis as RedisClient } from 'ioredis';
import type { Settings } from './env-file.ts';
import type { Part } from './part.ts';
import { PartState } from './part-state.ts';
import { ensureDebianPackages, requireCommand } from './prerequisites.ts';
import { freePort, startDaemon, waitUntil } from './processes.ts';

export class Redis implements Part {
  readonly name = 'redis';
  private readonly state = new PartState('redis', ['redis-server']);

  external(): Settings | undefined {
    return process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : undefined;
  }

  async ensure(): Promise<void> {
    ensureDebianPackages(['redis-server']);
  }

  running(): boolean {
    return this.state.running();
  }

  async up(): Promise<Settings> {
    const saved = this.state.savedSettings();
    if (saved && this.running()) return saved;
    const { url } = await startRedisServer({
      port: await freePort(),
      dir: this.state.dir,
      logFile: this.state.logFile('redis-server'),
      pidFile: this.state.pidFile('redis-server'),
    });
    const settings = { REDIS_URL: url };
    this.state.saveSettings(settings);
    return settings;
  }

  async down(): Promise<void> {
    await this.state.stopAll();
  }

  async version(settings: Settings): Promise<string> {
    const info = await withClient(settings.REDIS_URL!, (c) => c.info('server'));
    return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown'}`;
  }
}

/**
 * Starts a redis-server on loopback and waits until it answers: the harness's shared one, and the
 * dedicated ones of tests that stop and restart Redis (test/harness/redis-server.ts).
 */
export async function startRedisServer(options: {
  port: number;
  dir: string;
  logFile: string;
  pidFile: string;
}): Promise<{ pid: number; url: string }> {
  // Redis is a cache and fan-out here (PostgreSQL is the source of truth), so no persistence.
  const pid = startDaemon({
    name: 'redis-server',
    command: requireCommand('redis-server', 'install the Debian package redis-server'),
    args: [
      '--port',
      String(options.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      options.dir,
    ],
    logFile: options.logFile,
    pidFile: options.pidFile,
  });
  const url = `redis://127.0.0.1:${options.port}`;
  await waitUntil('Redis', async () => (await withClient(url, (c) => c.ping())) === 'PONG', {
    timeoutMs: 30_000,
    pid,
    logFile: options.logFile,
  });
  return { pid, url };
}

async function withClient<T>(url: string, use: (client: RedisClient) => Promise<T>): Promise<T> {
  const client = new RedisClient(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // connect() rejects with the same error
  await client.connect();
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

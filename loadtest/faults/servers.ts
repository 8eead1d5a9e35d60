import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka as KafkaClient, logLevel } from 'kafkajs';
import pg from 'pg';
import { kafkaJavaOptions, kafkaLibDir, singleNodeSettings } from '../../scripts/deps/kafka.ts';
import { depsStateDir } from '../../scripts/deps/paths.ts';
import { asServerUser, serverHome, serverUser } from '../../scripts/deps/postgres-home.ts';
import { binDir } from '../../scripts/deps/postgres.ts';
import {
  freePort,
  isAlive,
  readPid,
  run,
  startDaemon,
  stopDaemon,
  waitUntil,
} from '../../scripts/deps/processes.ts';
import { startRedisServer } from '../../scripts/deps/redis.ts';

/**
 * Servers of the fault suite's own, which it kills and starts again: the shared ones of the
 * worktree (and of the other integration suites running at the same time) must stay up. Each
 * restarts on the port and data directory it had, as a restarted pod behind a Service would, so
 * the platform's clients find it again by themselves.
 */
export interface FaultableServer {
  readonly name: string;
  /** Kills the server abruptly (`kill -9`, or `pg_ctl -m immediate` for PostgreSQL). */
  crash(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it answers. */
  restart(): Promise<void>;
  /** Stops it for good and removes its data. */
  remove(): Promise<void>;
}

/**
 * A fresh directory for `name`, of this process only (`npm run faults` and the short version in
 * `npm test` may run at once). Servers that an earlier run, now gone, left behind are stopped.
 */
const dirFor = async (name: string): Promise<string> => {
  const root = join(depsStateDir, 'faults');
  mkdirSync(root, { recursive: true });
  for (const entry of readdirSync(root)) {
    const owner = Number(/-(\d+)$/.exec(entry)?.[1]);
    if (!owner || owner === process.pid || isAlive(owner)) continue;
    const dir = join(root, entry);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.pid')))
      await stopDaemon(join(dir, file), 5_000);
    rmSync(dir, { recursive: true, force: true });
  }
  const dir = join(root, `${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
};

async function killByPidFile(pidFile: string): Promise<void> {
  const pid = readPid(pidFile);
  if (pid === undefined) return;
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

export class FaultableRedis implements FaultableServer {
  readonly name = 'redis';
  readonly url: string;
  private readonly options: { port: number; dir: string; logFile: string; pidFile: string };

  private constructor(url: string, options: FaultableRedis['options']) {
    this.url = url;
    this.options = options;
  }

  static async start(): Promise<FaultableRedis> {
    const dir = await dirFor('redis');
    const port = await freePort();
    const server = new FaultableRedis(`redis://127.0.0.1:${port}`, {
      port,
      dir,
      logFile: join(dir, 'redis-server.log'),
      pidFile: join(dir, 'redis-server.pid'),
    });
    await server.restart();
    return server;
  }

  crash = (): Promise<void> => killByPidFile(this.options.pidFile);

  async restart(): Promise<void> {
    await startRedisServer(this.options);
  }

  async remove(): Promise<void> {
    await stopDaemon(this.options.pidFile, 5_000);
    rmSync(this.options.dir, { recursive: true, force: true });
  }
}

export class FaultablePostgres implements FaultableServer {
  readonly name = 'postgres';
  readonly url: string;
  private readonly user = serverUser();
  private readonly data: string;
  private readonly socketDir: string;
  private readonly logFile: string;
  private readonly pidFile: string;

  private readonly dir: string;
  private readonly port: number;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
    const home = serverHome(dir, this.user);
    this.data = join(home, 'data');
    this.socketDir = join(home, 'socket');
    this.logFile = join(dir, 'postgres.log');
    this.pidFile = join(dir, 'postgres.pid');
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  static async start(): Promise<FaultablePostgres> {
    const server = new FaultablePostgres(await dirFor('postgres'), await freePort());
    server.init();
    await server.restart();
    return server;
  }

  private asUser(command: string, args: string[]): { command: string; args: string[] } {
    return asServerUser(this.user, join(binDir(), command), args);
  }

  private init(): void {
    for (const dir of [this.data, this.socketDir]) {
      mkdirSync(dir, { recursive: true });
      if (this.user) run('chown', [`${this.user.uid}:${this.user.gid}`, dir]);
    }
    if (existsSync(join(this.data, 'PG_VERSION'))) return;
    const initdb = this.asUser('initdb', [
      ...['-D', this.data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8'],
      '--no-sync',
    ]);
    run(initdb.command, initdb.args, { what: 'initdb (fault suite)' });
  }

  /** `pg_ctl stop -m immediate`: every backend quits at once, no checkpoint; the restart replays WAL. */
  async crash(): Promise<void> {
    const stop = this.asUser('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
    run(stop.command, stop.args, { what: 'pg_ctl -m immediate stop' });
  }

  async restart(): Promise<void> {
    const server = this.asUser('postgres', [
      ...['-D', this.data, '-p', String(this.port), '-h', '127.0.0.1', '-k', this.socketDir],
      ...['-c', 'max_connections=300', '-c', 'shared_buffers=128MB'],
    ]);
    const pid = startDaemon({ name: 'postgres', ...server, logFile: this.logFile, pidFile: this.pidFile });
    await waitUntil(
      'PostgreSQL (fault suite)',
      async () => {
        const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 2_000 });
        await client.connect();
        await client.end();
        return true;
      },
      { timeoutMs: 60_000, pid, logFile: this.logFile },
    );
  }

  async remove(): Promise<void> {
    await stopDaemon(this.pidFile, 10_000);
    rmSync(this.data, { recursive: true, force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A single-node KRaft broker without authentication (the shared one's SASL and ACLs are tested
 * elsewhere; here only its death matters), restarted on its ports and its log directory.
 */
export class FaultableKafka implements FaultableServer {
  readonly name = 'kafka';
  private readonly config: string;
  private readonly logFile: string;
  private readonly pidFile: string;

  private readonly dir: string;
  readonly brokers: string;

  private constructor(dir: string, brokers: string) {
    this.dir = dir;
    this.brokers = brokers;
    this.config = join(dir, 'server.properties');
    this.logFile = join(dir, 'kafka.log');
    this.pidFile = join(dir, 'kafka.pid');
  }

  static async start(): Promise<FaultableKafka> {
    const dir = await dirFor('kafka');
    const [port, controllerPort] = [await freePort(), await freePort()];
    const server = new FaultableKafka(dir, `127.0.0.1:${port}`);
    writeFileSync(
      server.config,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
        `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
        'controller.listener.names=CONTROLLER',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'inter.broker.listener.name=PLAINTEXT',
        ...singleNodeSettings(join(dir, 'data')),
        '',
      ].join('\n'),
    );
    run(
      'java',
      [
        ...kafkaJavaOptions,
        ...['-cp', `${kafkaLibDir}/*`, 'kafka.tools.StorageTool', 'format', '-t', 'ZmF1bHRzLWthZmthLTAx'],
        ...['-c', server.config],
      ],
      { what: 'formatting Kafka storage (fault suite)' },
    );
    await server.restart();
    return server;
  }

  crash = (): Promise<void> => killByPidFile(this.pidFile);

  async restart(): Promise<void> {
    const pid = startDaemon({
      name: 'kafka',
      command: 'java',
      args: [...kafkaJavaOptions, '-cp', `${kafkaLibDir}/*`, 'kafka.Kafka', this.config],
      logFile: this.logFile,
      pidFile: this.pidFile,
    });
    await waitUntil(
      'Kafka (fault suite)',
      async () => {
        const admin = new KafkaClient({
          brokers: [this.brokers],
          logLevel: logLevel.NOTHING,
          retry: { retries: 0 },
        }).admin();
        await admin.connect();
        try {
          const cluster = await admin.describeCluster();
          return cluster.brokers.length > 0 && cluster.controller !== null;
        } finally {
          await admin.disconnect();
        }
      },
      { timeoutMs: 90_000, pid, logFile: this.logFile },
    );
  }

  async remove(): Promise<void> {
    await stopDaemon(this.pidFile, 15_000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Settings } from './env-file.ts';
import { DepsError } from './errors.ts';
import type { Part } from './part.ts';
import { PartState } from './part-state.ts';
import { asServerUser, serverHome, serverUser } from './postgres-home.ts';
import { ensureDebianPackages } from './prerequisites.ts';
import { freePort, run, startDaemon, waitUntil } from './processes.ts';

const MIN_MAJOR = 15;

export function binDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .map(Number)
        .filter((major) => major >= MIN_MAJOR && existsSync(join(root, String(major), 'bin', 'postgres')))
        .sort((a, b) => b - a)
    : [];
  if (majors.length === 0)
    throw new DepsError(`PostgreSQL ${MIN_MAJOR}+ server binaries not found under ${root}`);
  return join(root, String(majors[0]), 'bin');
}

export class Postgres implements Part {
  readonly name = 'postgres';
  private readonly state = new PartState('postgres', ['postgres']);

  external(): Settings | undefined {
    return process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : undefined;
  }

  async ensure(): Promise<void> {
    ensureDebianPackages(['postgresql-15']);
    binDir();
  }

  running(): boolean {
    return this.state.running();
  }

  async up(): Promise<Settings> {
    const saved = this.state.savedSettings();
    if (saved && this.running()) return saved;
    const bin = binDir();
    const user = serverUser();
    const home = serverHome(this.state.dir, user);
    const data = join(home, 'data');
    const socketDir = join(home, 'socket');
    const owned = (path: string): void => {
      mkdirSync(path, { recursive: true });
      if (user) chownSync(path, user.uid, user.gid);
    };
    owned(socketDir);
    if (!existsSync(join(data, 'PG_VERSION'))) {
      owned(data);
      const initdb = asServerUser(user, join(bin, 'initdb'), [
        '-D',
        data,
        '-U',
        'postgres',
        '--auth=trust',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
        '--no-sync',
      ]);
      run(initdb.command, initdb.args, { what: 'initdb' });
    }
    const port = await freePort();
    const logFile = this.state.logFile('postgres');
    const server = asServerUser(user, join(bin, 'postgres'), [
      ...['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', socketDir],
      ...['-c', 'max_connections=300', '-c', 'shared_buffers=256MB'],
      // Per-statement time, as most managed PostgreSQL services keep it: `npm run bench` reports
      // where the database's time goes from it (loadtest/bench/statements.ts).
      ...['-c', 'shared_preload_libraries=pg_stat_statements'],
    ]);
    const pid = startDaemon({
      name: 'postgres',
      ...server,
      logFile,
      pidFile: this.state.pidFile('postgres'),
    });
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await waitUntil('PostgreSQL', () => this.query(url, 'SELECT 1').then(() => true), {
      timeoutMs: 60_000,
      pid,
      logFile,
    });
    const settings = { DATABASE_URL: url };
    this.state.saveSettings(settings);
    return settings;
  }

  async down(): Promise<void> {
    await this.state.stopAll();
  }

  async version(settings: Settings): Promise<string> {
    return `PostgreSQL ${await this.query(settings.DATABASE_URL!, 'SHOW server_version')}`;
  }

  private async query(url: string, sql: string): Promise<string> {
    // Generous: upAll asks every part's version at once, and the others' synchronous `--version`
    // runs can hold the event loop for seconds on a busy machine, expiring a shorter timer.
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 15_000 });
    await client.connect();
    try {
      const result = await client.query<Record<string, unknown>>(sql);
      return String(Object.values(result.rows[0] ?? {})[0] ?? '');
    } finally {
      await client.end();
    }
  }
}

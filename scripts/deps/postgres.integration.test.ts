import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const postgresModule = join(import.meta.dirname, 'postgres.ts');

/** Runs one method of the Postgres part in a fresh process whose state directory is `stateDir`. */
function part(stateDir: string, method: 'up' | 'down'): string {
  const script = `import { Postgres } from ${JSON.stringify(postgresModule)};
    const result = await new Postgres().${method}();
    process.stdout.write(JSON.stringify(result ?? null));`;
  const env: NodeJS.ProcessEnv = { ...process.env, BOXOFFICE_STATE_DIR: stateDir };
  delete env.DATABASE_URL;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
}

describe('local PostgreSQL for a fresh clone', () => {
  // Like a clone under /root or in a `mktemp -d` folder: only its owner may enter (mode 0700).
  const stateDir = mkdtempSync(join(tmpdir(), 'boxoffice-private-checkout-'));
  const partDir = join(stateDir, 'deps', 'postgres');
  afterAll(() => {
    part(stateDir, 'down');
    const pointer = join(partDir, 'server-dir');
    if (existsSync(pointer)) rmSync(readFileSync(pointer, 'utf8').trim(), { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('comes up in a state directory other users cannot enter, with its data where the server user can reach it', async () => {
    expect(statSync(stateDir).mode & 0o077).toBe(0);
    const settings = JSON.parse(part(stateDir, 'up')) as { DATABASE_URL: string };
    const client = new pg.Client({ connectionString: settings.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ data: string }>(
        "SELECT current_setting('data_directory') AS data",
      );
      const data = rows[0]!.data;
      if (process.getuid?.() === 0) {
        // As root the server runs as `postgres`: its data lives in a private directory of its own.
        expect(data.startsWith(stateDir)).toBe(false);
        const home = statSync(join(data, '..'));
        expect(home.uid).toBe(Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()));
        expect(home.mode & 0o777).toBe(0o700);
        expect(readFileSync(join(partDir, 'server-dir'), 'utf8').trim()).toBe(join(data, '..'));
      } else {
        expect(data).toBe(join(partDir, 'data'));
      }
      await client.query('CREATE TABLE survives_a_restart (id int)');
    } finally {
      await client.end();
    }

    // The next start finds the same data.
    part(stateDir, 'down');
    const again = JSON.parse(part(stateDir, 'up')) as { DATABASE_URL: string };
    const reconnected = new pg.Client({ connectionString: again.DATABASE_URL });
    await reconnected.connect();
    try {
      const { rows } = await reconnected.query(
        "SELECT to_regclass('survives_a_restart') IS NOT NULL AS found",
      );
      expect(rows[0]).toEqual({ found: true });
    } finally {
      await reconnected.end();
    }
  });
});

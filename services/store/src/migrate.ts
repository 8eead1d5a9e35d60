import { join } from 'node:path';
import { runner } from 'node-pg-migrate';

const migrationsDir = join(import.meta.dirname, '..', 'migrations');

/**
 * Brings the schema up to date. Safe to call from every service at start: node-pg-migrate takes an
 * advisory lock, so concurrent starts apply each migration once.
 */
export async function migrate(databaseUrl: string): Promise<void> {
  await runner({
    databaseUrl,
    dir: migrationsDir,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    singleTransaction: true,
    log: () => undefined,
  });
}

import { join } from 'node:path';
import { runner } from 'node-pg-migrate';

const migrationsDir = join(import.meta.dirname, '..', 'migrations');

/**
 * Brings the schema up to date. Safe to call from every service at start: node-pg-migrate holds an
 * advisory lock (concurrent starts wait for it), so each migration is applied once.
 */
export async function migrate(databaseUrl: string): Promise<void> {
  await runner({
    databaseUrl,
    dir: migrationsDir,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    singleTransaction: true,
    // Services start together: the later ones wait for the first to finish migrating.
    advisoryLockMode: 'wait',
    log: () => undefined,
  });
}

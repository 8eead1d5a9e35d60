import pg from 'pg';
import { dependencies } from './dependencies.ts';

/** Creates a fresh database for one suite and returns its connection URL. */
export async function createTestDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: dependencies().databaseUrl });
  await admin.connect();
  try {
    const database = name.replaceAll('-', '_');
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    const url = new URL(dependencies().databaseUrl);
    url.pathname = `/${database}`;
    return url.toString();
  } finally {
    await admin.end();
  }
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, uniqueName } from '@boxoffice/testkit';

describe('PostgreSQL (real server)', () => {
  let client: pg.Client;

  beforeAll(async () => {
    client = new pg.Client({ connectionString: await createTestDatabase(uniqueName('smoke-pg')) });
    await client.connect();
  });
  afterAll(async () => client.end());

  it('round-trips a row through a table and enforces a CHECK constraint', async () => {
    await client.query(
      'CREATE TABLE shard (id int PRIMARY KEY, capacity int NOT NULL, sold int NOT NULL, CHECK (sold <= capacity))',
    );
    await client.query('INSERT INTO shard VALUES (1, 10, 3)');
    const { rows } = await client.query<{ sold: number }>('SELECT sold FROM shard WHERE id = 1');
    expect(rows).toEqual([{ sold: 3 }]);
    await expect(client.query('UPDATE shard SET sold = 11 WHERE id = 1')).rejects.toThrow(/check constraint/);
  });

  it('is PostgreSQL 15 or newer', async () => {
    const { rows } = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    expect(Number(rows[0]!.server_version_num)).toBeGreaterThanOrEqual(150000);
  });
});

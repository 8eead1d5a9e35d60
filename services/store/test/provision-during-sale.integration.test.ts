import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, eventually, kafkaAs, uniqueName } from '@boxoffice/testkit';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import { migrate, provisionEvent, shardAvailability } from '../src/index.ts';
import { eventOnSale } from './fixtures.ts';

/**
 * The operator re-provisions an event (a capacity or shard change) while allocators sell it. An
 * allocator's batch locks its shard rows, then inserts orders, whose foreign key takes KEY SHARE
 * on the event row; provisioning locks the event row, then the shard rows. Found by the operator
 * fault suite (deadlocks during the leader kill); this is its deterministic form.
 */
describe('provisioning while a shard batch is in flight', () => {
  let pool: pg.Pool;
  let admin: Admin;

  beforeAll(async () => {
    const url = await createTestDatabase(uniqueName('provision-sale'));
    await migrate(url);
    pool = new pg.Pool({ connectionString: url, max: 10 });
    admin = kafkaAs('operator', 'provision-sale-test').admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await pool.end();
  });

  it('waits for the batch instead of deadlocking with it', async () => {
    const namespace = uniqueName('ns');
    const { eventId } = await provisionEvent({ pool, admin }, eventOnSale(namespace));
    const batch = await pool.connect();
    try {
      // The batch's first step: its shard rows, locked (shard-batch.ts).
      await batch.query('BEGIN');
      await batch.query('SELECT 1 FROM inventory_shards WHERE event_id = $1 AND shard = 0 FOR UPDATE', [
        eventId,
      ]);
      const resized = provisionEvent(
        { pool, admin },
        eventOnSale(namespace, {
          ticketTypes: [{ name: 'standard', priceMinor: 5000, currency: 'EUR', capacity: 20 }],
        }),
      );
      const outcome = resized.then(
        () => 'provisioned',
        (error: unknown) => String(error),
      );
      // Provisioning now holds the event row and waits for the batch's shard row.
      await eventually(async () => {
        const { rows } = await pool.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        expect(rows[0]!.waiting).toBe(1);
      });
      // The batch's order insert: its foreign key check locks the event row FOR KEY SHARE.
      await batch.query('SELECT 1 FROM events WHERE id = $1 FOR KEY SHARE', [eventId]);
      await batch.query('COMMIT');
      expect(await outcome).toBe('provisioned');
    } finally {
      batch.release();
    }
    const shards = (await shardAvailability(pool, { namespace, name: 'concert' })).get('standard')!;
    expect(shards.reduce((a, b) => a + b)).toBe(20);
  });
});

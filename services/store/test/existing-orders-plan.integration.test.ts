import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, kafkaAs, uniqueName } from '@boxoffice/testkit';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import { EXISTING_ORDERS_SQL, existingOrders } from '../src/existing-orders.ts';
import { migrate, provisionEvent } from '../src/index.ts';
import { eventOnSale } from './fixtures.ts';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows of `orders` the plan touched: returned, or read and thrown away by a filter. */
function ordersRowsRead(node: PlanNode): number {
  const own =
    node['Relation Name'] === 'orders'
      ? (node['Actual Rows'] +
          (node['Rows Removed by Filter'] ?? 0) +
          (node['Rows Removed by Index Recheck'] ?? 0)) *
        node['Actual Loops']
      : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + ordersRowsRead(child), 0);
}

/**
 * Every batch looks up whether its commands already made orders. A new event goes on sale after
 * `orders` was last analyzed, so PostgreSQL's statistics say it has no orders while it sells tens
 * of thousands: the lookup must not read the event's orders then, or every batch of a flash sale
 * costs more than the one before.
 */
describe("looking up a batch's existing orders", () => {
  let pool: pg.Pool;
  let admin: Admin;

  beforeAll(async () => {
    const url = await createTestDatabase(uniqueName('lookup-plan'));
    await migrate(url);
    pool = new pg.Pool({ connectionString: url, max: 2 });
    admin = kafkaAs('operator', 'lookup-plan-test').admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await pool.end();
  });

  const BUYERS = 5_000;
  const ORDERS_PER_BUYER = 4;

  /** `count` expired orders of an event, in one statement: order i by buyer i % BUYERS under key i. */
  const fill = (eventId: number, prefix: string, count: number): Promise<unknown> =>
    pool.query(
      `INSERT INTO orders (id, event_id, buyer_id, ticket_type, quantity, idempotency_key, shard, status,
                           amount_minor, currency, created_at, expires_at, updated_at)
       SELECT gen_random_uuid(), $1, $2 || (i % $4::int), 'standard', 1, $2 || i, 0, 'EXPIRED', 5000, 'EUR',
              now(), now(), now()
       FROM generate_series(1, $3::int) AS i`,
      [eventId, prefix, count, BUYERS],
    );

  it("reads only the batch's buyers' own orders, however many the event got since the last ANALYZE", async () => {
    const earlier = await provisionEvent({ pool, admin }, eventOnSale(uniqueName('earlier'), { shards: 1 }));
    const onSale = await provisionEvent({ pool, admin }, eventOnSale(uniqueName('on-sale'), { shards: 1 }));
    await fill(earlier.eventId, 'earlier-', 2_000);
    await pool.query('ANALYZE orders'); // the statistics know only the earlier event's orders
    await fill(onSale.eventId, 'fan-', BUYERS * ORDERS_PER_BUYER);

    // A batch of 25 purchases: five retries of existing orders, twenty new ones.
    const keys = Array.from({ length: 25 }, (_, i) => {
      const n = (i + 1) * 101; // fill() made order n for buyer n % BUYERS under key n
      return i < 5
        ? { buyerId: `fan-${n % BUYERS}`, idempotencyKey: `fan-${n}` }
        : { buyerId: `fan-${i}`, idempotencyKey: `new-${i}` };
    });
    const ids = Array.from({ length: 25 }, () => crypto.randomUUID());
    const values = [
      ids,
      String(onSale.eventId),
      keys.map((k) => k.buyerId),
      keys.map((k) => k.idempotencyKey),
    ];

    const client = await pool.connect();
    try {
      const rows = await existingOrders(client, String(onSale.eventId), ids, keys);
      expect(rows.map((r) => r.idempotency_key).sort()).toEqual(
        keys
          .slice(0, 5)
          .map((k) => k.idempotencyKey)
          .sort(),
      );

      const explained = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${EXISTING_ORDERS_SQL}`,
        values,
      );
      const plan = explained.rows[0]!['QUERY PLAN'][0].Plan;
      // Index probes per key read at most that buyer's orders (4 each here); the plan this guards
      // against read all 20,000 of the event's orders, in every batch.
      expect(ordersRowsRead(plan)).toBeLessThanOrEqual(ids.length + keys.length * ORDERS_PER_BUYER);
    } finally {
      client.release();
    }
  });
});

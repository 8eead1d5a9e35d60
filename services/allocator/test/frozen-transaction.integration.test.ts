import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newOrderId, type PurchaseRequested } from '@boxoffice/inventory';
import { applyShardBatch, eventCounters, findOrder } from '@boxoffice/store';
import { uniqueName } from '@boxoffice/testkit';
import { invariantViolations, PurchasePath } from '../../purchase-api/test/purchase-path.ts';
import { eventOnSale } from '../../store/test/fixtures.ts';
import { allocatorConfig } from '../src/config.ts';
import { allocatorPool } from '../src/pool.ts';

/**
 * A zombie allocator: frozen (SIGSTOP, a VM pause, a partition) inside its batch transaction, the
 * shard's rows locked, while the group hands its partition to another allocator. The fault suite
 * (`npm run faults`, zombie-allocator) found the next owner blocked for as long as the zombie stayed
 * frozen; PostgreSQL now ends such a session after the allocator's idle-in-transaction timeout.
 */
describe('an allocator frozen inside its batch transaction (real PostgreSQL)', () => {
  const path = new PurchasePath();
  const event = eventOnSale(uniqueName('frozen'), {
    shards: 1,
    ticketTypes: [{ name: 'standard', priceMinor: 100, currency: 'EUR', capacity: 10 }],
  });
  beforeAll(async () => {
    await path.start();
    await path.provision(event);
  });
  afterAll(async () => path.stop());

  it("does not block the shard's next owner beyond the idle-in-transaction timeout, and its late commit is refused", async () => {
    const timeoutMs = allocatorConfig.shape.IDLE_IN_TRANSACTION_TIMEOUT_MS.parse(undefined);
    const zombiePool = allocatorPool({
      DATABASE_URL: path.databaseUrl,
      PARTITIONS_CONCURRENTLY: 1,
      IDLE_IN_TRANSACTION_TIMEOUT_MS: timeoutMs,
    });
    const zombie = await zombiePool.connect();
    zombie.on('error', () => undefined); // the server ends the session: expected here
    try {
      // What applyShardBatch does first, then nothing more: the process froze right after.
      await zombie.query('BEGIN');
      await zombie.query(
        `SELECT s.* FROM inventory_shards s JOIN events e ON e.id = s.event_id
         WHERE e.namespace = $1 AND e.name = $2 AND s.shard = 0 FOR UPDATE OF s`,
        [event.namespace, event.name],
      );

      const purchase: PurchaseRequested = {
        v: 1,
        kind: 'purchase.requested',
        orderId: newOrderId(),
        buyerId: 'buyer-after-the-zombie',
        ticketType: 'standard',
        quantity: 2,
        idempotencyKey: newOrderId(),
        requestedAt: new Date().toISOString(),
      };
      const started = Date.now();
      const result = await applyShardBatch(path.pool, event, 0, [purchase], new Date());
      const waitedMs = Date.now() - started;
      expect(result.outcomes[0]).toMatchObject({ kind: 'held' });
      expect(waitedMs).toBeGreaterThanOrEqual(timeoutMs - 500);
      expect(waitedMs).toBeLessThan(timeoutMs + 5_000);

      await expect(zombie.query('COMMIT')).rejects.toThrow();
      expect((await findOrder(path.pool, purchase.orderId))?.status).toBe('HELD');
      expect(await eventCounters(path.pool, event)).toEqual([
        { ticketType: 'standard', capacity: 10, held: 2, sold: 0, remaining: 8 },
      ]);
      expect(await invariantViolations(path.pool)).toEqual([]);
    } finally {
      zombie.release(true);
      await zombiePool.end();
    }
  }, 30_000);
});

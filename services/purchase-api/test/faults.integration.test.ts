import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newOrderId } from '@boxoffice/inventory';
import { eventCounters, findOrder } from '@boxoffice/store';
import { eventually, uniqueName } from '@boxoffice/testkit';
import { eventOnSale } from '../../store/test/fixtures.ts';
import type { PlaceOrderResult } from '../src/orders-service.ts';
import { spawnAllocator } from './allocator-process.ts';
import { invariantViolations, PurchasePath } from './purchase-path.ts';

function storm(
  path: PurchasePath,
  event: { namespace: string; name: string },
  count: number,
  buyers: number,
): Promise<PlaceOrderResult[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      path.orders.place({
        event,
        buyerId: `buyer-${i % buyers}`,
        ticketType: 'standard',
        quantity: 1,
        idempotencyKey: newOrderId(),
      }),
    ),
  );
}

async function expectAllFinal(path: PurchasePath, results: PlaceOrderResult[]): Promise<void> {
  const ids = results.flatMap((r) =>
    r.kind === 'pending' ? [r.orderId] : r.kind === 'accepted' ? [r.order.id] : [],
  );
  await eventually(
    async () => {
      for (const id of ids)
        expect((await findOrder(path.pool, id))?.status).toMatch(/HELD|REJECTED|CONFIRMED/);
    },
    { timeoutMs: 90_000 },
  );
}

describe('faults during a storm (real Kafka, PostgreSQL, Redis)', () => {
  const path = new PurchasePath();
  beforeAll(async () => path.start({ replyTimeoutMs: 3_000 }));
  afterAll(async () => path.stop());

  it('never oversells when Redis is flushed mid-storm, and rebuilds availability from PostgreSQL', async () => {
    const event = eventOnSale(uniqueName('flush'), {
      shards: 3,
      ticketTypes: [{ name: 'standard', priceMinor: 100, currency: 'EUR', capacity: 150 }],
    });
    await path.provision(event);
    await path.startAllocator(event);
    const first = storm(path, event, 300, 100);
    await new Promise((r) => setTimeout(r, 50));
    await path.redis.flushdb();
    const results = [...(await first), ...(await storm(path, event, 300, 100))];
    await expectAllFinal(path, results);
    expect(await eventCounters(path.pool, event)).toEqual([
      { ticketType: 'standard', capacity: 150, held: 150, sold: 0, remaining: 0 },
    ]);
    expect(await invariantViolations(path.pool)).toEqual([]);
    expect((await storm(path, event, 1, 1))[0]!.kind).toBe('sold_out');
  });

  it('loses and duplicates nothing when an allocator process is killed mid-storm and another takes over', async () => {
    const event = eventOnSale(uniqueName('kill'), {
      shards: 4,
      ticketTypes: [{ name: 'standard', priceMinor: 100, currency: 'EUR', capacity: 400 }],
      sales: { ...eventOnSale('x').sales, perBuyerLimit: 10 },
    });
    await path.provision(event);
    const victim = spawnAllocator({ databaseUrl: path.databaseUrl, prefix: path.prefix, event });
    const running = storm(path, event, 1_200, 200);
    await new Promise((r) => setTimeout(r, 1_500));
    victim.kill('SIGKILL');
    await once(victim, 'exit');
    const successor = spawnAllocator({ databaseUrl: path.databaseUrl, prefix: path.prefix, event });
    try {
      const results = await running;
      await expectAllFinal(path, results);
      const counters = await eventCounters(path.pool, event);
      expect(counters[0]!.held + counters[0]!.remaining).toBe(400);
      expect(counters[0]!.held).toBe(
        results.filter((r) => r.kind === 'accepted').length + (await pendingHeld(path, results)),
      );
      expect(await invariantViolations(path.pool)).toEqual([]);
    } finally {
      successor.kill('SIGTERM');
      await once(successor, 'exit');
    }
  });
});

async function pendingHeld(path: PurchasePath, results: PlaceOrderResult[]): Promise<number> {
  let held = 0;
  for (const r of results)
    if (r.kind === 'pending' && (await findOrder(path.pool, r.orderId))?.status === 'HELD') held++;
  return held;
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newOrderId } from '@boxoffice/inventory';
import { eventCounters, findOrder } from '@boxoffice/store';
import { eventually, uniqueName } from '@boxoffice/testkit';
import { eventOnSale } from '../../store/test/fixtures.ts';
import type { PlaceOrderResult } from '../src/orders-service.ts';
import { invariantViolations, PurchasePath } from './purchase-path.ts';

describe('the purchase path under a storm (real Kafka, PostgreSQL, Redis; two allocators)', () => {
  const path = new PurchasePath();
  const event = eventOnSale(uniqueName('storm'), {
    shards: 4,
    ticketTypes: [{ name: 'standard', priceMinor: 4200, currency: 'EUR', capacity: 500 }],
    sales: { ...eventOnSale('x').sales, perBuyerLimit: 4 },
  });

  beforeAll(async () => {
    await path.start({ replyTimeoutMs: 10_000 });
    await path.provision(event);
    await Promise.all([path.startAllocator(event), path.startAllocator(event)]);
  });
  afterAll(async () => path.stop());

  it('holds exactly the capacity for 2,000 concurrent requests from 300 buyers, and every accepted order is final', async () => {
    const started = Date.now();
    const requests = Array.from({ length: 2_000 }, (_, i) => ({
      event,
      buyerId: `buyer-${i % 300}`,
      ticketType: 'standard',
      quantity: 1,
      idempotencyKey: newOrderId(),
    }));
    const results: PlaceOrderResult[] = await Promise.all(requests.map((r) => path.orders.place(r)));
    const elapsedMs = Date.now() - started;
    const kinds = results.reduce<Record<string, number>>(
      (count, r) => ({ ...count, [r.kind]: (count[r.kind] ?? 0) + 1 }),
      {},
    );
    console.log(
      `storm: ${requests.length} requests in ${elapsedMs} ms (${Math.round((requests.length / elapsedMs) * 1000)}/s): ${JSON.stringify(kinds)}`,
    );

    expect(
      Object.keys(kinds).every((k) => ['accepted', 'pending', 'sold_out', 'limit_reached'].includes(k)),
    ).toBe(true);
    // Every 202 reaches a final state in PostgreSQL.
    const pending = results.flatMap((r) => (r.kind === 'pending' ? [r.orderId] : []));
    await eventually(
      async () => {
        for (const id of pending) expect((await findOrder(path.pool, id))?.status).toMatch(/HELD|REJECTED/);
      },
      { timeoutMs: 60_000 },
    );
    const acceptedIds = results.flatMap((r) => (r.kind === 'accepted' ? [r.order.id] : []));
    expect(new Set(acceptedIds).size).toBe(acceptedIds.length);

    expect(await eventCounters(path.pool, event)).toEqual([
      { ticketType: 'standard', capacity: 500, held: 500, sold: 0, remaining: 0 },
    ]);
    const held = await path.pool.query<{ n: string }>(
      "SELECT coalesce(sum(quantity), 0) AS n FROM orders WHERE status = 'HELD'",
    );
    expect(Number(held.rows[0]!.n)).toBe(500);
    expect(await invariantViolations(path.pool)).toEqual([]);
    // Once sold out, the fast path answers without producing anything.
    expect((await path.orders.place({ ...requests[0]!, idempotencyKey: newOrderId() })).kind).toBe(
      'sold_out',
    );
  });
});

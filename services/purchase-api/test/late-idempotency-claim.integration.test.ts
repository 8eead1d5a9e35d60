import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newOrderId } from '@boxoffice/inventory';
import { findOrder } from '@boxoffice/store';
import { DedicatedRedis, eventually, uniqueName } from '@boxoffice/testkit';
import { Redis } from 'ioredis';
import { eventOnSale } from '../../store/test/fixtures.ts';
import { invariantViolations, PurchasePath } from './purchase-path.ts';

/**
 * Redis slower than purchase-api's command timeout (1 s): the Idempotency-Key claim (`SET NX`) fails
 * on the client although Redis carries it out. The fault suite (`npm run faults`, on a machine with
 * a load average of 35) found purchase-api then reading its own claim back as an earlier request's,
 * answering 202 with an order id whose command it never produced: an accepted order that never
 * ended. Redis is paused for writes here (`CLIENT PAUSE … WRITE`): the claim times out, and the
 * look-up that follows on the same connection runs after it and finds it.
 */
describe('an Idempotency-Key claim that lands after its command timed out (real Redis, Kafka, PostgreSQL)', () => {
  const path = new PurchasePath();
  let server: DedicatedRedis;
  let admin: Redis;
  const event = eventOnSale(uniqueName('late-claim'), {
    shards: 1,
    ticketTypes: [{ name: 'standard', priceMinor: 100, currency: 'EUR', capacity: 10 }],
  });
  beforeAll(async () => {
    server = await DedicatedRedis.start('late-idempotency-claim');
    await path.start({ redisUrl: server.url, replyTimeoutMs: 2_000 });
    await path.provision(event);
    await path.startAllocator(event);
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await path.stop();
    await server?.stop();
  });

  it('still produces the order, so the 201 or 202 it answers reaches a final state', async () => {
    const order = (buyerId: string) => ({
      event,
      buyerId,
      ticketType: 'standard',
      quantity: 1,
      idempotencyKey: newOrderId(),
    });
    // A first order warms the catalog and the availability view: the next one goes straight to its claim.
    expect((await path.orders.place(order('buyer-before'))).kind).toBe('accepted');
    // 1.5 s: the claim times out after 1 s; the look-up queued behind it runs at 1.5 s, within its own timeout.
    await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
    const result = await path.orders.place(order('buyer-with-a-slow-redis'));
    const orderId =
      result.kind === 'pending' ? result.orderId : result.kind === 'accepted' ? result.order.id : undefined;
    expect(orderId).toBeDefined();
    await eventually(async () => expect((await findOrder(path.pool, orderId!))?.status).toBe('HELD'), {
      timeoutMs: 20_000,
    });
    expect(await invariantViolations(path.pool)).toEqual([]);
  }, 60_000);
});

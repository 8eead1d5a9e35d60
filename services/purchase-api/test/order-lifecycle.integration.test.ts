import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newOrderId, type PurchaseRequested } from '@boxoffice/inventory';
import { sharedTopics } from '@boxoffice/platform/kafka';
import { eventTopic, findOrder, orderTickets } from '@boxoffice/store';
import { eventually, uniqueName } from '@boxoffice/testkit';
import { eventOnSale } from '../../store/test/fixtures.ts';
import { invariantViolations, PurchasePath } from './purchase-path.ts';

describe('order lifecycle through the allocator (real Kafka, PostgreSQL, Redis)', () => {
  const path = new PurchasePath();
  const event = eventOnSale(uniqueName('life'), {
    shards: 2,
    ticketTypes: [
      { name: 'standard', priceMinor: 2500, currency: 'EUR', capacity: 6 },
      { name: 'free', priceMinor: 0, currency: 'EUR', capacity: 4 },
    ],
    sales: { ...eventOnSale('x').sales, perBuyerLimit: 3, holdTtlSeconds: 2 },
  });
  const place = (buyerId: string, quantity = 1, ticketType = 'standard', idempotencyKey = newOrderId()) =>
    path.orders.place({ event, buyerId, ticketType, quantity, idempotencyKey });

  beforeAll(async () => {
    await path.start();
    await path.provision(event);
    await path.startAllocator(event);
  });
  afterAll(async () => path.stop());

  it('returns the same order for an Idempotency-Key retry and a conflict for another body', async () => {
    const first = await place('ida', 1, 'standard', 'key-1');
    expect(first.kind).toBe('accepted');
    const retry = await place('ida', 1, 'standard', 'key-1');
    expect(retry).toEqual({
      kind: 'accepted',
      order: expect.objectContaining({ id: (first as { order: { id: string } }).order.id }),
    });
    expect((await place('ida', 2, 'standard', 'key-1')).kind).toBe('idempotency_conflict');
  });

  it('confirms free tickets at once and issues their tickets', async () => {
    const result = await place('fay', 2, 'free');
    expect(result).toMatchObject({ kind: 'accepted', order: { status: 'CONFIRMED' } });
    const tickets = await orderTickets(path.pool, (result as { order: { id: string } }).order.id);
    expect(tickets.map((t) => t.seq)).toEqual([1, 2]);
    expect(new Set(tickets.map((t) => t.code)).size).toBe(2);
  });

  it('refuses a buyer over the per-buyer limit across orders', async () => {
    expect((await place('lee', 2)).kind).toBe('accepted');
    expect((await place('lee', 2)).kind).toBe('limit_reached');
    expect((await place('lee', 4)).kind).toBe('over_limit');
  });

  it('returns the seats of an expired hold, and a payment after expiry requires a refund', async () => {
    const hold = await place('eve', 1);
    const orderId = (hold as { order: { id: string } }).order.id;
    await eventually(async () => expect((await findOrder(path.pool, orderId))?.status).toBe('EXPIRED'), {
      timeoutMs: 20_000,
    });
    expect(
      await path.orders.payment({
        providerEventId: uniqueName('pay'),
        orderId,
        outcome: 'succeeded',
        amountMinor: 2500,
        currency: 'EUR',
      }),
    ).toBe('accepted');
    await eventually(async () =>
      expect((await findOrder(path.pool, orderId))?.status).toBe('REFUND_REQUIRED'),
    );
    expect(await orderTickets(path.pool, orderId)).toEqual([]);
    expect(await invariantViolations(path.pool)).toEqual([]);
  });

  it('releases a hold for its owner only', async () => {
    const hold = await place('rob', 1);
    const orderId = (hold as { order: { id: string } }).order.id;
    expect((await path.orders.release(orderId, 'someone-else')).kind).toBe('not_found');
    expect((await path.orders.release(orderId, 'rob')).kind).toBe('released');
    expect((await findOrder(path.pool, orderId))?.status).toBe('RELEASED');
  });

  it('ignores a redelivered purchase command and dead-letters a malformed one without stopping', async () => {
    const command: PurchaseRequested = {
      v: 1,
      kind: 'purchase.requested',
      orderId: newOrderId(),
      buyerId: 'dup',
      ticketType: 'standard',
      quantity: 1,
      idempotencyKey: newOrderId(),
      requestedAt: new Date().toISOString(),
    };
    const value = JSON.stringify(command);
    await path.producer.send({
      topic: eventTopic(event),
      messages: [
        { value, partition: 0 },
        { value: '{"v":1,"kind":"purchase.requested","quantity":-3', partition: 0 },
        { value, partition: 0 },
      ],
    });
    await eventually(async () => expect((await findOrder(path.pool, command.orderId))?.status).toBe('HELD'));

    const consumer = path.kafka.consumer({ groupId: uniqueName('dlq-reader') });
    const dead: { reason: string }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: sharedTopics(path.prefix).deadLetter, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void dead.push({ reason: String(message.headers?.reason) }),
    });
    await eventually(() => expect(dead).toEqual([{ reason: expect.stringMatching(/not JSON/) }]), {
      timeoutMs: 60_000,
    });
    await consumer.disconnect();

    // Other tests' short holds expire meanwhile, so the order rows, not the counter delta, tell.
    const orders = await path.pool.query("SELECT id FROM orders WHERE buyer_id = 'dup'");
    expect(orders.rows).toEqual([{ id: command.orderId }]);
    expect(await invariantViolations(path.pool)).toEqual([]);
  });
});

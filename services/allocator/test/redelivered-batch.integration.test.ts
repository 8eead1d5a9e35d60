import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newOrderId, parseOrderEvent, type OrderEvent, type ShardCommand } from '@boxoffice/inventory';
import { sharedTopics } from '@boxoffice/platform/kafka';
import { applyShardBatch, eventTopic, findOrder } from '@boxoffice/store';
import { eventually, uniqueName } from '@boxoffice/testkit';
import type { Consumer } from 'kafkajs';
import { invariantViolations, PurchasePath } from '../../purchase-api/test/purchase-path.ts';
import { eventOnSale, purchase } from '../../store/test/fixtures.ts';

/**
 * The batch cycle's one window without a safety net of its own: the transaction committed, then the
 * process died (or the broker refused) before the batch's order events went out. Kafka redelivers
 * the batch; every command in it is a duplicate by then. The order events must still reach the
 * order-events topic, or consumers (the sales projection) never learn of those holds.
 */
describe('a batch redelivered after its commit, before its order events were produced (real Kafka, PostgreSQL)', () => {
  const path = new PurchasePath();
  const event = eventOnSale(uniqueName('redelivered'), { shards: 1 });
  const seen: OrderEvent[] = [];
  let reader: Consumer;

  beforeAll(async () => {
    await path.start();
    await path.provision(event);
    reader = path.kafka.consumer({ groupId: uniqueName('order-events-reader') });
    await reader.connect();
    await reader.subscribe({ topic: sharedTopics(path.prefix).orderEvents, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const parsed = parseOrderEvent(message.value);
        if (parsed.ok) seen.push(parsed.event);
      },
    });
  });
  afterAll(async () => {
    await reader?.disconnect();
    await path.stop();
  });

  it('announces the holds, payment and release it had applied, each once, with the time it was made', async () => {
    const alice = purchase('alice', 2);
    const bob = purchase('bob', 1);
    const carol = purchase('carol', 1);
    const applied = [alice, bob, carol];
    const lifecycle: ShardCommand[] = [
      {
        v: 1,
        kind: 'payment.confirmed',
        orderId: bob.orderId,
        providerEventId: newOrderId(),
        amountMinor: 5000,
        currency: 'EUR',
      },
      { v: 1, kind: 'release.requested', orderId: carol.orderId, buyerId: 'carol' },
    ];
    // What the lost allocator committed before it died: the holds, then the payment and release.
    await applyShardBatch(path.pool, event, 0, applied, new Date());
    await applyShardBatch(path.pool, event, 0, lifecycle, new Date());
    const heldAt = (await findOrder(path.pool, alice.orderId))!.createdAt;

    // Its partition's next owner gets the same commands, never acknowledged.
    await path.producer.send({
      topic: eventTopic(event),
      messages: [...applied, ...lifecycle].map((c) => ({
        key: c.orderId,
        value: JSON.stringify(c),
        partition: 0,
      })),
    });
    await path.startAllocator(event);

    const expected = [
      `${alice.orderId} order.held`,
      `${bob.orderId} order.held`,
      `${carol.orderId} order.held`,
      `${bob.orderId} order.confirmed`,
      `${carol.orderId} order.released`,
    ];
    await eventually(
      () => expect(seen.map((e) => `${e.orderId} ${e.kind}`).sort()).toEqual([...expected].sort()),
      { timeoutMs: 30_000 },
    );
    expect(seen.find((e) => e.orderId === alice.orderId)).toMatchObject({
      event: { namespace: event.namespace, name: event.name },
      status: 'HELD',
      ticketType: 'standard',
      quantity: 2,
      amountMinor: 10_000,
      currency: 'EUR',
      at: heldAt,
    });
    // Nothing was applied twice.
    expect((await findOrder(path.pool, bob.orderId))?.status).toBe('CONFIRMED');
    expect((await findOrder(path.pool, carol.orderId))?.status).toBe('RELEASED');
    expect(await invariantViolations(path.pool)).toEqual([]);
  }, 60_000);
});

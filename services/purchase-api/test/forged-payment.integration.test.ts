import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PaymentConfirmed } from '@boxoffice/inventory';
import { eventTopic, findOrder, orderTickets } from '@boxoffice/store';
import { eventually, kafkaConnectionAs, kafkaEnforcesPrincipals, uniqueName } from '@boxoffice/testkit';
import { Kafka, logLevel, type KafkaConfig, type Producer } from 'kafkajs';
import { eventOnSale } from '../../store/test/fixtures.ts';
import { invariantViolations, PurchasePath } from './purchase-path.ts';

const describeWithPrincipals = kafkaEnforcesPrincipals() ? describe : describe.skip;

/** kafkajs's error and whatever it wraps, as one searchable line. */
const describeError = (error: unknown): string => {
  const e = error as { name?: string; message?: string; type?: string; originalError?: unknown };
  return [e.name, e.type, e.message, e.originalError ? describeError(e.originalError) : '']
    .filter(Boolean)
    .join(' | ');
};

describeWithPrincipals('a forged payment on Kafka (the attack: tickets without paying)', () => {
  const path = new PurchasePath();
  const event = eventOnSale(uniqueName('forge'), { shards: 1 });
  const producers: Producer[] = [];

  beforeAll(async () => {
    await path.start();
    await path.provision(event);
    await path.startAllocator(event);
  });
  afterAll(async () => {
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
    await path.stop();
  });

  it('is refused to a client without credentials, with a wrong password, or with another principal; the hold stays unpaid', async () => {
    const hold = await path.orders.place({
      event,
      buyerId: 'mallory',
      ticketType: 'standard',
      quantity: 2,
      idempotencyKey: uniqueName('key'),
    });
    expect(hold).toMatchObject({ kind: 'accepted', order: { status: 'HELD' } });
    const orderId = (hold as { order: { id: string } }).order.id;
    const forged: PaymentConfirmed = {
      v: 1,
      kind: 'payment.confirmed',
      orderId,
      providerEventId: uniqueName('forged'),
      amountMinor: 10_000,
      currency: 'EUR',
    };
    const message = { topic: eventTopic(event), messages: [{ key: orderId, value: JSON.stringify(forged) }] };

    const admin = path.kafka.admin();
    await admin.connect();
    const endOffsets = async () => (await admin.fetchTopicOffsets(eventTopic(event))).map((p) => p.high);
    const before = await endOffsets();

    const purchaseApi = kafkaConnectionAs('purchase-api');
    const attackers: [string, KafkaConfig][] = [
      ['no credentials', { brokers: purchaseApi.brokers }],
      ['a wrong password', { ...purchaseApi, sasl: { ...purchaseApi.sasl!, password: 'guessed' } }],
      ["the operator's principal", kafkaConnectionAs('operator')],
    ];
    const refusals: Record<string, string> = {};
    for (const [who, config] of attackers) {
      const producer = new Kafka({ ...config, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).producer();
      producers.push(producer);
      refusals[who] = await producer
        .connect()
        .then(() => producer.send(message))
        .then(
          () => 'accepted',
          (error: unknown) => describeError(error),
        );
    }
    expect(refusals).toEqual({
      'no credentials': expect.stringMatching(/closed connection/i),
      'a wrong password': expect.stringMatching(/KafkaJSSASLAuthenticationError.*invalid credentials/),
      "the operator's principal": expect.stringMatching(/TOPIC_AUTHORIZATION_FAILED/),
    });

    // Nothing reached the partition, so the allocator has nothing to apply.
    expect(await endOffsets()).toEqual(before);
    await admin.disconnect();
    expect((await findOrder(path.pool, orderId))?.status).toBe('HELD');

    // The same command from purchase-api's principal (what a verified webhook sends) is applied:
    // the refusals above were the broker's, not a malformed message.
    expect(await orderTickets(path.pool, orderId)).toEqual([]);
    await path.producer.send(message);
    await eventually(async () => expect((await findOrder(path.pool, orderId))?.status).toBe('CONFIRMED'));
    expect(await orderTickets(path.pool, orderId)).toHaveLength(2);
    expect(await invariantViolations(path.pool)).toEqual([]);
  });
});

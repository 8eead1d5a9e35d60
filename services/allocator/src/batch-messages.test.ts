import { describe, expect, it } from '@jest/globals';
import { applyBatch, parseOrderEvent, type ShardCommand, type ShardState } from '@boxoffice/inventory';
import type { KafkaMessage } from 'kafkajs';
import { at, context, orderId, paid, purchase, shardState } from '../../inventory/src/batch.fixtures.ts';
import {
  DEAD_LETTER_MAX_BYTES,
  DEAD_LETTER_MAX_REASON,
  deadLetterRequests,
  orderEventMessages,
} from './batch-messages.ts';

const message = (offset: number, bytes: number | null): KafkaMessage =>
  ({
    offset: String(offset),
    key: null,
    value: bytes === null ? null : Buffer.alloc(bytes, 0x61),
    timestamp: '0',
    attributes: 0,
    headers: {},
  }) as KafkaMessage;

/** The only dead letter of the only request. */
const single = (requests: ReturnType<typeof deadLetterRequests>) => {
  expect(requests.map((r) => r.length)).toEqual([1]);
  return requests[0]![0]!;
};

const sizes = (requests: ReturnType<typeof deadLetterRequests>) =>
  requests.map((r) => r.map((m) => (m.value as Buffer | null)?.length ?? 0));

describe('deadLetterRequests', () => {
  it('keeps the original bytes, with the reason and the source in headers', () => {
    const [[letter]] = deadLetterRequests('demo/gig', 'topic', 3, [
      { message: message(42, 10), reason: 'not JSON' },
    ]) as [[{ key: string; value: Buffer; headers: Record<string, string> }]];
    expect(letter).toEqual({
      key: 'demo/gig',
      value: Buffer.alloc(10, 0x61),
      headers: {
        reason: 'not JSON',
        'source-topic': 'topic',
        'source-partition': '3',
        'source-offset': '42',
      },
    });
  });

  it('splits large dead letters into requests the broker accepts, in their order', () => {
    const big = 600_000;
    const requests = deadLetterRequests(
      'e',
      't',
      0,
      [big, 10, big, big, null, 5].map((bytes, i) => ({ message: message(i, bytes), reason: 'r' })),
    );
    expect(sizes(requests)).toEqual([[big, 10], [big], [big, 0, 5]]);
    expect(requests.flat().map((m) => m.headers!['source-offset'])).toEqual(['0', '1', '2', '3', '4', '5']);
    for (const request of requests)
      expect(
        request.reduce((sum, m) => sum + ((m.value as Buffer | null)?.length ?? 0), 0),
      ).toBeLessThanOrEqual(DEAD_LETTER_MAX_BYTES);
  });

  it('cuts a value too large to dead-letter whole and says so', () => {
    const letter = single(
      deadLetterRequests('e', 't', 0, [{ message: message(7, DEAD_LETTER_MAX_BYTES + 48_000), reason: 'r' }]),
    );
    expect((letter.value as Buffer).length).toBe(DEAD_LETTER_MAX_BYTES);
    expect(letter.headers!['value-truncated']).toBe(
      `${DEAD_LETTER_MAX_BYTES + 48_000} bytes, first ${DEAD_LETTER_MAX_BYTES} kept`,
    );
  });

  it('bounds a reason however long it is', () => {
    const letter = single(
      deadLetterRequests('e', 't', 0, [{ message: message(1, 1), reason: 'x'.repeat(200_000) }]),
    );
    const reason = String(letter.headers!.reason);
    expect(reason).toHaveLength(DEAD_LETTER_MAX_REASON);
    expect(reason.endsWith('…')).toBe(true);
  });
});

describe('orderEventMessages', () => {
  const event = { namespace: 'tenant', name: 'gig' };
  const A = orderId(1);
  const B = orderId(2);
  /** The order events a batch announces, read back as a consumer reads them. */
  const announced = (state: ShardState, commands: ShardCommand[], now = at(0)) => {
    const { outcomes, state: after } = applyBatch(state, commands, context({ now }));
    const applied = { outcomes, forwards: [], offers: [], rejectedIds: new Set<string>(), deadLetters: [] };
    const events = orderEventMessages(event, applied, new Set(), commands).map((m) => {
      const parsed = parseOrderEvent(m.value as string);
      if (!parsed.ok) throw new Error(parsed.reason);
      expect(m.key).toBe(parsed.event.orderId);
      return parsed.event;
    });
    return { events, state: after };
  };

  it('announces again, as first made, what a redelivered batch already applied', () => {
    const batch = [purchase(A, 'alice', 2), paid(A, 'p1', 5000), purchase(B, 'bob', 1)];
    const first = announced(shardState({ ga: 10 }), batch);
    expect(first.events.map((e) => `${e.orderId} ${e.kind}`)).toEqual([
      `${A} order.held`,
      `${A} order.confirmed`,
      `${B} order.held`,
    ]);
    // The produce after the commit never happened; Kafka hands the same batch over again later.
    const again = announced(first.state, batch, at(30));
    // Each with the time its change was made (the first batch's clock), not the redelivery's.
    expect(again.events).toEqual(first.events.map((e) => ({ ...e, at: at(0).toISOString() })));
  });

  it('announces each (order, kind) once per batch, however often a command repeats in it', () => {
    const buy = purchase(A, 'alice', 2);
    const { events } = announced(shardState({ ga: 10 }), [buy, buy, { ...buy, orderId: B }]);
    expect(events.map((e) => `${e.orderId} ${e.kind}`)).toEqual([`${A} order.held`]);
  });
});

import { describe, expect, it } from '@jest/globals';
import type { KafkaMessage } from 'kafkajs';
import { DEAD_LETTER_MAX_BYTES, DEAD_LETTER_MAX_REASON, deadLetterRequests } from './batch-messages.ts';

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

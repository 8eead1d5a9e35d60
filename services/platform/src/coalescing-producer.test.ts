import { describe, expect, it, jest } from '@jest/globals';
import type { Producer, ProducerBatch } from 'kafkajs';
import { CoalescingProducer, CommandNotSent, CommandOutcomeUnknown } from './coalescing-producer.ts';

/** Records each sendBatch request and lets the test decide when (and how) it completes. */
function recordingProducer() {
  const requests: { batch: ProducerBatch; finish: (error?: Error) => void }[] = [];
  const producer = {
    sendBatch: (batch: ProducerBatch) =>
      new Promise((resolve, reject) => {
        requests.push({ batch, finish: (error) => (error ? reject(error) : resolve([])) });
      }),
  } as unknown as Producer;
  return { producer, requests };
}

const flushed = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('CoalescingProducer', () => {
  it('sends at once when idle, and what arrives meanwhile together in the next request', async () => {
    const { producer, requests } = recordingProducer();
    const commands = new CoalescingProducer(producer, { acks: -1, maxInFlight: 1, maxBatch: 100 });
    const first = commands.send({ topic: 't', partition: 0, key: 'a', value: '1' });
    await flushed();
    expect(requests).toHaveLength(1);
    const waiting = [
      commands.send({ topic: 't', partition: 1, key: 'b', value: '2' }),
      commands.send({ topic: 'u', partition: 0, key: 'c', value: '3' }),
      commands.send({ topic: 't', partition: 2, key: 'd', value: '4' }),
    ];
    await flushed();
    expect(requests).toHaveLength(1); // one request in flight at most

    requests[0]!.finish();
    await first;
    await flushed();
    expect(requests).toHaveLength(2);
    expect(requests[1]!.batch).toEqual({
      acks: -1,
      topicMessages: [
        {
          topic: 't',
          messages: [
            { partition: 1, key: 'b', value: '2' },
            { partition: 2, key: 'd', value: '4' },
          ],
        },
        { topic: 'u', messages: [{ partition: 0, key: 'c', value: '3' }] },
      ],
    });
    requests[1]!.finish();
    await Promise.all(waiting);
  });

  it('fails every message of a failed request, and only those', async () => {
    const { producer, requests } = recordingProducer();
    const commands = new CoalescingProducer(producer, { acks: -1, maxInFlight: 1, maxBatch: 100 });
    const first = commands.send({ topic: 't', value: '1' });
    await flushed();
    const second = commands.send({ topic: 't', value: '2' });
    const third = commands.send({ topic: 't', value: '3' });
    requests[0]!.finish();
    await first;
    await flushed();
    requests[1]!.finish(new Error('broker gone'));
    await expect(second).rejects.toThrow('broker gone');
    await expect(third).rejects.toThrow('broker gone');

    const fourth = commands.send({ topic: 't', value: '4' });
    await flushed();
    expect(requests).toHaveLength(3);
    requests[2]!.finish();
    await expect(fourth).resolves.toBeUndefined();
  });

  it('keeps up to maxInFlight requests going and splits queues longer than maxBatch', async () => {
    const { producer, requests } = recordingProducer();
    const commands = new CoalescingProducer(producer, { acks: 1, maxInFlight: 2, maxBatch: 2 });
    const sent = Array.from({ length: 7 }, (_, i) => commands.send({ topic: 't', value: String(i) }));
    await flushed();
    // The first two sends each found a free slot; the other five wait for one.
    expect(requests.map((r) => r.batch.topicMessages![0]!.messages.length)).toEqual([1, 1]);
    requests[0]!.finish();
    requests[1]!.finish();
    await flushed();
    expect(requests.map((r) => r.batch.topicMessages![0]!.messages.length)).toEqual([1, 1, 2, 2]);
    requests[2]!.finish();
    requests[3]!.finish();
    await flushed();
    expect(requests).toHaveLength(5);
    expect(requests[4]!.batch.topicMessages![0]!.messages).toEqual([{ value: '6' }]);
    expect(requests.every((r) => r.batch.acks === 1)).toBe(true);
    requests[4]!.finish();
    await Promise.all(sent);
  });

  it('with a send timeout: a queued message is dropped unsent, an in-flight one is reported with its outcome', async () => {
    jest.useFakeTimers();
    try {
      const { producer, requests } = recordingProducer();
      const commands = new CoalescingProducer(producer, {
        acks: -1,
        maxInFlight: 1,
        maxBatch: 100,
        sendTimeoutMs: 5_000,
      });
      const inFlight = commands.send({ topic: 't', value: 'in flight' });
      const queued = commands.send({ topic: 't', value: 'queued' });
      expect(requests).toHaveLength(1);
      const inFlightError = inFlight.catch((error: unknown) => error);
      const queuedError = queued.catch((error: unknown) => error);

      jest.advanceTimersByTime(5_000);
      const unknown = await inFlightError;
      expect(unknown).toBeInstanceOf(CommandOutcomeUnknown);
      expect(await queuedError).toBeInstanceOf(CommandNotSent);

      // The broker comes back: only the in-flight message was ever sent, and its outcome is told.
      requests[0]!.finish();
      await expect((unknown as CommandOutcomeUnknown).outcome).resolves.toBeUndefined();
      await Promise.resolve();
      expect(requests).toHaveLength(1);
      expect(requests[0]!.batch.topicMessages![0]!.messages).toEqual([{ value: 'in flight' }]);

      // Answered in time: no error, and the timer does not fire later.
      const prompt = commands.send({ topic: 't', value: 'prompt' });
      expect(requests).toHaveLength(2);
      requests[1]!.finish();
      await expect(prompt).resolves.toBeUndefined();
      jest.advanceTimersByTime(10_000);
    } finally {
      jest.useRealTimers();
    }
  });
});

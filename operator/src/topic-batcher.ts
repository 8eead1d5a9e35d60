import { ensureTopics, type WantedTopic } from '@boxoffice/store';
import type { Admin } from 'kafkajs';

/**
 * Concurrent reconciles ensure their events' topics together: while one batch is with the brokers,
 * the next requests gather, and go as one batch when it returns (no timer: an idle operator sends a
 * lone request at once). A thousand events applied at once cost a few dozen topic listings and
 * CreateTopics requests, not a thousand of each. A failed batch fails each of its callers, whose
 * reconciles retry.
 */
export function topicBatcher(
  admin: Admin,
  ensureMany: (admin: Admin, wanted: WantedTopic[]) => Promise<void> = ensureTopics,
): { ensure(topic: string, partitions: number): Promise<void> } {
  let waiting: { wanted: WantedTopic; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let busy = false;
  const flush = async (): Promise<void> => {
    busy = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        await ensureMany(
          admin,
          batch.map((w) => w.wanted),
        );
        for (const w of batch) w.resolve();
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    busy = false;
  };
  return {
    ensure(topic, partitions) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ wanted: { topic, partitions }, resolve, reject });
        // Requests of the same tick share the first batch.
        if (!busy) {
          busy = true;
          setImmediate(() => void flush());
        }
      });
    },
  };
}

import { sharedTopics } from '@boxoffice/platform/kafka';
import { ensureTopics } from '@boxoffice/store';
import type { Admin } from 'kafkajs';

/**
 * The operator owns the topics: each event's purchase topic when it is provisioned, and these two
 * that every allocator produces to (order lifecycle events, dead letters) before it runs any event.
 * The broker creates no topic on its own (auto.create.topics.enable=false), so an allocator whose
 * shared topics are missing cannot finish a batch.
 */
export async function ensureSharedTopics(admin: Admin, prefix: string): Promise<void> {
  const shared = sharedTopics(prefix);
  await ensureTopics(admin, [
    { topic: shared.orderEvents, partitions: 3 },
    { topic: shared.deadLetter, partitions: 1 },
  ]);
}

import type { EventKey } from '@boxoffice/inventory';
import type { Admin } from 'kafkajs';
import { allocatorGroupId, eventTopic } from './naming.ts';

export interface PartitionLag {
  shard: number;
  /** The next offset the allocator group will read (its committed offset; the log start before any commit). */
  committed: number;
  /** The partition's end (high watermark). */
  end: number;
  /** Commands produced to the shard and not yet applied by its allocator. */
  lag: number;
}

/**
 * The allocator group's lag on each shard of an event, as the brokers see it (what KEDA scales on):
 * measured from outside the allocator, so it is known while the allocator is scaled to zero or stuck.
 */
export async function consumerLag(admin: Admin, event: EventKey): Promise<PartitionLag[]> {
  const topic = eventTopic(event);
  const [ends, groups] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId: allocatorGroupId(event), topics: [topic] }),
  ]);
  const committed = new Map(
    (groups.find((g) => g.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
  );
  return ends
    .map(({ partition, high, low }) => {
      const end = Number(high);
      // -1: nothing committed yet; the allocator starts from the beginning of the log.
      const next = committed.get(partition) ?? -1;
      const position = next < 0 ? Number(low) : next;
      return { shard: partition, committed: position, end, lag: Math.max(0, end - position) };
    })
    .sort((a, b) => a.shard - b.shard);
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';

export interface WantedTopic {
  topic: string;
  partitions: number;
}

/**
 * Makes sure `topic` exists with at least `partitions` partitions (partitions only grow: a shard's
 * partition never changes meaning). Idempotent.
 */
export async function ensureTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  await ensureTopics(admin, [{ topic, partitions }]);
}

/**
 * `ensureTopic` for many topics in a constant number of requests: one topic listing, one metadata
 * read, one CreateTopics and one CreatePartitions at most, whatever their number (a thousand events
 * provisioned at once must not cost a thousand listings of every topic). New topics are waited for
 * until each partition has a leader; a broker that has created a topic may not know it yet for a
 * moment, which is waited out too, not reported as a failure.
 */
export async function ensureTopics(admin: Admin, wanted: WantedTopic[]): Promise<void> {
  const byTopic = new Map<string, number>();
  for (const { topic, partitions } of wanted)
    byTopic.set(topic, Math.max(partitions, byTopic.get(topic) ?? 0));
  if (byTopic.size === 0) return;
  const existing = new Set(await admin.listTopics());
  const present = [...byTopic.keys()].filter((topic) => existing.has(topic));
  const missing = [...byTopic.keys()].filter((topic) => !existing.has(topic));
  if (present.length > 0) {
    const metadata = await admin.fetchTopicMetadata({ topics: present });
    const counts = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
    const grow = present.filter((topic) => (counts.get(topic) ?? 0) < byTopic.get(topic)!);
    if (grow.length > 0)
      await admin.createPartitions({
        topicPartitions: grow.map((topic) => ({ topic, count: byTopic.get(topic)! })),
      });
  }
  if (missing.length > 0) {
    await admin.createTopics({
      topics: missing.map((topic) => ({ topic, numPartitions: byTopic.get(topic)!, replicationFactor: -1 })),
      waitForLeaders: false,
    });
    await waitForLeaders(admin, missing);
  }
}

/** Errors of a metadata read that only mean "not propagated yet" right after CreateTopics. */
const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      const led = found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (found.length === topics.length && led) return;
    } catch (error) {
      if (!NOT_YET.has((error as { type?: string }).type ?? '')) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for the leaders of ${topics.length} new topics`,
      );
    await sleep(100);
  }
}

export async function partitionCount(admin: Admin, topic: string): Promise<number | undefined> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) return undefined;
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics[0]?.partitions.length;
}

import type { Admin } from 'kafkajs';

/**
 * Makes sure `topic` exists with at least `partitions` partitions (partitions only grow: a shard's
 * partition never changes meaning). Idempotent.
 */
export async function ensureTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  const existing = await partitionCount(admin, topic);
  if (existing === undefined) {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: -1 }],
      waitForLeaders: true,
    });
    return;
  }
  if (existing < partitions)
    await admin.createPartitions({ topicPartitions: [{ topic, count: partitions }] });
}

export async function partitionCount(admin: Admin, topic: string): Promise<number | undefined> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) return undefined;
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics[0]?.partitions.length;
}

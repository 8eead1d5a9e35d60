import { afterAll, describe, expect, it } from '@jest/globals';
import type { Consumer } from 'kafkajs';
import { eventually, kafkaAs, uniqueName } from '@boxoffice/testkit';

describe('Kafka (real broker)', () => {
  // The superuser: this smoke test uses topic and group names no component has rights on.
  const kafka = kafkaAs('admin', 'smoke');
  const topic = uniqueName('smoke-topic');
  const consumers: Consumer[] = [];
  afterAll(async () => Promise.all(consumers.map((c) => c.disconnect())));

  it('delivers every message of a multi-partition topic once to a consumer group, in order per partition', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 4, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]!.partitions).toHaveLength(4);
    await admin.disconnect();

    const received: { partition: number; value: string }[] = [];
    const groupId = uniqueName('smoke-group');
    for (let i = 0; i < 2; i++) {
      const consumer = kafka.consumer({ groupId });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          received.push({ partition, value: message.value!.toString() });
        },
      });
    }

    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: String(i) }));
    await producer.send({ topic, messages });
    await producer.disconnect();

    await eventually(() => expect(received).toHaveLength(40), { timeoutMs: 60_000 });
    expect(new Set(received.map((r) => r.value)).size).toBe(40);
    for (let partition = 0; partition < 4; partition++) {
      const values = received.filter((r) => r.partition === partition).map((r) => Number(r.value));
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(values.every((v) => v % 4 === partition)).toBe(true);
    }
  });
});

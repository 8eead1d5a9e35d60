import { setTimeout as sleep } from 'node:timers/promises';
import { parseOrderEvent, type OrderEvent } from '@boxoffice/inventory';
import type { Logger } from '@boxoffice/platform/logger';
import { traceEachBatch } from '@boxoffice/platform/telemetry/messaging';
import type { Consumer, Kafka } from 'kafkajs';
import type pg from 'pg';
import type { AnalyticsMetrics } from './metrics.ts';
import { applySalesEvents } from './projection-store.ts';

export interface AnalyticsConsumerDeps {
  kafka: Kafka;
  pool: pg.Pool;
  topic: string;
  groupId: string;
  logger: Logger;
  metrics: AnalyticsMetrics;
}

export interface AnalyticsConsumer {
  joined(): boolean;
  stop(): Promise<void>;
}

/**
 * Keeps the sales projection: each partition batch is added in one transaction, then its offsets
 * are committed. A crash in between redelivers the batch, which the projection recognises event by
 * event. A message it cannot read is logged and skipped (counted as `unreadable`): a projection
 * must not stall the topic, and nothing downstream depends on it for correctness. Each batch is a
 * `process` span linked to the order events' creation (telemetry/messaging.ts).
 */
export async function startAnalyticsConsumer(deps: AnalyticsConsumerDeps): Promise<AnalyticsConsumer> {
  const consumer = deps.kafka.consumer({ groupId: deps.groupId, maxWaitTimeInMs: 200 });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  consumer.on(consumer.events.CRASH, ({ payload }) =>
    deps.logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed'),
  );
  await consumer.connect();
  await subscribeOnceTopicExists(consumer, deps);
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: traceEachBatch(deps.groupId, async ({ batch, heartbeat, resolveOffset }) => {
      if (batch.messages.length === 0) return;
      const events: OrderEvent[] = [];
      for (const message of batch.messages) {
        const parsed = parseOrderEvent(message.value);
        if (parsed.ok) events.push(parsed.event);
        else {
          deps.metrics.events.inc({ outcome: 'unreadable' });
          deps.logger.warn(
            { partition: batch.partition, offset: message.offset, reason: parsed.reason },
            'order event skipped: cannot read it',
          );
        }
      }
      // A failure throws: kafkajs retries the batch, nothing is committed in between.
      const timer = deps.metrics.batchDuration.startTimer();
      const fresh = await applySalesEvents(deps.pool, events);
      timer();
      deps.metrics.events.inc({ outcome: 'applied' }, fresh);
      deps.metrics.events.inc({ outcome: 'duplicate' }, events.length - fresh);
      // Without resolving, the consumer would fetch the same messages again (nothing new to add, but a hot loop).
      resolveOffset(batch.lastOffset());
      await heartbeat();
      await consumer.commitOffsets([
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: (BigInt(batch.lastOffset()) + 1n).toString(),
        },
      ]);
      deps.metrics.lag.set({ partition: String(batch.partition) }, Math.max(0, Number(batch.offsetLag())));
    }),
  });
  return {
    joined: () => joined,
    stop: () => consumer.disconnect(),
  };
}

/**
 * The operator creates the order-events topic when it starts, and an installation starts every pod
 * at once: until the topic exists, wait (not ready) instead of exiting, which would only put the pod
 * in a crash loop and delay it further.
 */
async function subscribeOnceTopicExists(
  consumer: Consumer,
  deps: Pick<AnalyticsConsumerDeps, 'topic' | 'logger'>,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await consumer.subscribe({ topic: deps.topic, fromBeginning: true });
      return;
    } catch (error) {
      if ((error as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
      if (attempt === 0)
        deps.logger.warn({ topic: deps.topic }, 'waiting for the topic (the operator creates it)');
      await sleep(Math.min(5_000, 200 * 2 ** attempt));
    }
  }
}

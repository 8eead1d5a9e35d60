import { parseShardCommand, type EventKey, type Outcome, type ShardCommand } from '@boxoffice/inventory';
import type { AvailabilityCache } from '@boxoffice/platform/availability-cache';
import type { Logger } from '@boxoffice/platform/logger';
import type { OrderReply } from '@boxoffice/platform/replies';
import { applyShardBatch, eventKeyString, eventTopic } from '@boxoffice/store';
import type { EachBatchPayload, Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { AllocatorMetrics } from './metrics.ts';

export interface ShardConsumerDeps {
  event: EventKey;
  pool: pg.Pool;
  producer: Producer;
  redis: Redis;
  availability: AvailabilityCache;
  topics: { orderEvents: string; deadLetter: string };
  metrics: AllocatorMetrics;
  logger: Logger;
  commitOffsets: (partition: number, nextOffset: string) => Promise<void>;
}

/**
 * Handles one partition batch, in the order the brief requires: dead-letter what can never be
 * processed; apply the rest in ONE PostgreSQL transaction; produce forwards (sold-out here, stock
 * elsewhere) and order events; only then commit the Kafka offsets; then reply and refresh the
 * availability cache. A crash anywhere before the offset commit redelivers the batch, which the
 * store recognises as duplicates.
 */
export function shardBatchHandler(deps: ShardConsumerDeps): (payload: EachBatchPayload) => Promise<void> {
  const eventLabel = eventKeyString(deps.event);
  return async ({ batch, heartbeat, resolveOffset }) => {
    if (batch.messages.length === 0) return;
    const shard = batch.partition;
    const labels = { event: eventLabel, shard: String(shard) };
    const stopTimer = deps.metrics.batchDuration.startTimer(labels);

    const commands: ShardCommand[] = [];
    const deadLetters: { value: Buffer | null; reason: string; offset: string }[] = [];
    for (const message of batch.messages) {
      const parsed = parseShardCommand(message.value);
      if (parsed.ok) commands.push(parsed.command);
      else deadLetters.push({ value: message.value, reason: parsed.reason, offset: message.offset });
    }
    if (deadLetters.length > 0) {
      await deps.producer.send({
        topic: deps.topics.deadLetter,
        messages: deadLetters.map((d) => ({
          key: eventLabel,
          value: d.value,
          headers: {
            reason: d.reason,
            'source-topic': batch.topic,
            'source-partition': String(shard),
            'source-offset': d.offset,
          },
        })),
      });
      deps.metrics.deadLetters.inc({ event: eventLabel }, deadLetters.length);
      deps.logger.warn(
        { shard, count: deadLetters.length, reasons: deadLetters.map((d) => d.reason) },
        'dead-lettered malformed commands',
      );
    }

    const result =
      commands.length > 0
        ? await applyShardBatch(deps.pool, deps.event, shard, commands, new Date())
        : undefined;
    await heartbeat();
    if (result) {
      const rejectedIds = new Set(result.rejected.map((o) => o.id));
      const forwardedIds = new Set(result.forwards.map((f) => f.command.orderId));
      const produced = [
        ...result.forwards.map((f) => ({
          topic: eventTopic(deps.event),
          messages: [{ key: f.command.orderId, value: JSON.stringify(f.command), partition: f.shard }],
        })),
        {
          topic: deps.topics.orderEvents,
          messages: result.outcomes
            .filter((o) => o.kind !== 'ignored' && o.kind !== 'duplicate' && !forwardedIds.has(o.orderId))
            .map((o) => ({
              key: o.orderId,
              value: JSON.stringify({
                v: 1,
                kind: `order.${o.kind}`,
                event: deps.event,
                orderId: o.orderId,
                at: new Date().toISOString(),
                ...detail(o),
              }),
            })),
        },
      ].filter((t) => t.messages.length > 0);
      if (produced.length > 0) await deps.producer.sendBatch({ topicMessages: produced });
      for (const outcome of result.outcomes) {
        deps.metrics.outcomes.inc({
          event: eventLabel,
          outcome: forwardedIds.has(outcome.orderId) ? 'forwarded' : outcome.kind,
          reason: 'reason' in outcome ? outcome.reason : '',
        });
        if (outcome.kind === 'expired') deps.metrics.expiries.inc({ event: eventLabel });
      }
      deps.metrics.batchSize.observe(labels, commands.length);

      resolveOffset(batch.lastOffset());
      await deps.commitOffsets(shard, (BigInt(batch.lastOffset()) + 1n).toString());
      await publishReplies(deps, commands, result.outcomes, forwardedIds, rejectedIds);
      const remaining = new Map(
        [...result.counters].map(([type, c]) => [type, c.capacity - c.held - c.sold]),
      );
      await deps.availability
        .writeShard(eventLabel, shard, remaining)
        .catch((error: Error) => deps.logger.warn({ err: error }, 'availability cache not updated'));
    } else {
      resolveOffset(batch.lastOffset());
      await deps.commitOffsets(shard, (BigInt(batch.lastOffset()) + 1n).toString());
    }
    stopTimer();
  };
}

function detail(outcome: Outcome): Record<string, unknown> {
  if (outcome.kind === 'rejected' || outcome.kind === 'ignored') return { reason: outcome.reason };
  return {
    status: outcome.order.status,
    ticketType: outcome.order.ticketType,
    quantity: outcome.order.quantity,
  };
}

/** Replies go to the purchase-api instance named in the command; a lost reply only means a 202. */
async function publishReplies(
  deps: ShardConsumerDeps,
  commands: ShardCommand[],
  outcomes: Outcome[],
  forwardedIds: Set<string>,
  rejectedIds: Set<string>,
): Promise<void> {
  const byChannel = new Map<string, OrderReply[]>();
  commands.forEach((command, i) => {
    const outcome = outcomes[i]!;
    if (!('replyTo' in command) || !command.replyTo || forwardedIds.has(command.orderId)) return;
    if (outcome.kind === 'rejected' && !rejectedIds.has(command.orderId)) return;
    const reply: OrderReply = {
      orderId: command.orderId,
      kind: outcome.kind,
      ...('reason' in outcome ? { reason: outcome.reason } : {}),
      ...('order' in outcome ? { status: outcome.order.status, expiresAt: outcome.order.expiresAt } : {}),
      ...('order' in outcome && outcome.order.rejectReason ? { reason: outcome.order.rejectReason } : {}),
    };
    const replies = byChannel.get(command.replyTo) ?? [];
    replies.push(reply);
    byChannel.set(command.replyTo, replies);
  });
  if (byChannel.size === 0) return;
  // One message per waiting purchase-api instance, however many of its orders the batch answered.
  const pipeline = deps.redis.pipeline();
  for (const [channel, replies] of byChannel) pipeline.publish(channel, JSON.stringify(replies));
  await pipeline.exec().catch((error: Error) => deps.logger.warn({ err: error }, 'replies not published'));
}

import { parseShardCommand, type EventKey, type ShardCommand } from '@boxoffice/inventory';
import type { AvailabilityCache } from '@boxoffice/platform/availability-cache';
import type { Logger } from '@boxoffice/platform/logger';
import { processBatch, sendBatchTraced } from '@boxoffice/platform/telemetry/messaging';
import { publishOffers } from '@boxoffice/platform/waiting-list-offers';
import {
  allocatorGroupId,
  applyShardBatch,
  eventKeyString,
  eventTopic,
  recordRejectedOrders,
} from '@boxoffice/store';
import type { EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { deadLetterRequests, orderEventMessages, publishReplies } from './batch-messages.ts';
import type { FaultPoints } from './fault-point.ts';
import { applyIsolating, type AppliedBatch } from './isolated-batch.ts';
import { initShardCounters, outcomeLabels, type AllocatorMetrics } from './metrics.ts';
import { retryTransient } from './retry.ts';

export interface ShardConsumerDeps {
  event: EventKey;
  pool: pg.Pool;
  producer: Producer;
  redis: Redis;
  availability: AvailabilityCache;
  /** The Redis key prefix (waiting-list offers are announced on the event's offers channel). */
  prefix: string;
  topics: { orderEvents: string; deadLetter: string };
  metrics: AllocatorMetrics;
  logger: Logger;
  commitOffsets: (partition: number, nextOffset: string) => Promise<void>;
  /** Test-only crash points (fault-point.ts). */
  faults?: FaultPoints;
  /** Backoff while PostgreSQL is unavailable (defaults: 100 ms doubling up to 5 s). */
  retry?: { initialMs: number; maxMs: number };
}

/** Thrown out of a retry wait when the batch is no longer this consumer's to finish. */
class BatchAbandoned extends Error {
  override name = 'BatchAbandoned';
}

/**
 * Handles one partition batch, in the order the brief requires: dead-letter what can never be
 * processed; apply the rest to the shard in ONE PostgreSQL transaction; produce forwards (sold-out
 * here, stock elsewhere), order events and dead letters; only then commit the Kafka offsets; then
 * reply and refresh the availability cache. A crash anywhere before the offset commit redelivers
 * the batch, which the store recognises as duplicates.
 *
 * Nothing in a batch can stall the shard: a command the database refuses is isolated (the batch is
 * split around it) and rejected or dead-lettered, the rest applied. A database that is unavailable
 * is waited for instead, retrying the same commands with backoff, and blames no command.
 *
 * The whole of it is one `process <topic>` span linked to each command's creation context
 * (telemetry/messaging.ts): its transaction, produces and replies are that span's children.
 */
export function shardBatchHandler(deps: ShardConsumerDeps): (payload: EachBatchPayload) => Promise<void> {
  const handle = batchHandler(deps);
  const group = allocatorGroupId(deps.event);
  return async (payload) => {
    if (payload.batch.messages.length === 0) return;
    await processBatch(payload.batch, group, () => handle(payload));
  };
}

function batchHandler(deps: ShardConsumerDeps): (payload: EachBatchPayload) => Promise<void> {
  const eventLabel = eventKeyString(deps.event);
  const backoff = deps.retry ?? { initialMs: 100, maxMs: 5_000 };
  return async ({ batch, heartbeat, resolveOffset, isRunning, isStale }) => {
    const shard = batch.partition;
    const labels = { event: eventLabel, shard: String(shard) };
    const stopTimer = deps.metrics.batchDuration.startTimer(labels);
    initShardCounters(deps.metrics, labels);

    const commands: ShardCommand[] = [];
    const sources: KafkaMessage[] = [];
    const malformed: { message: KafkaMessage; reason: string }[] = [];
    for (const message of batch.messages) {
      const parsed = parseShardCommand(message.value, message.key);
      if (parsed.ok) {
        commands.push(parsed.command);
        sources.push(message);
      } else malformed.push({ message, reason: parsed.reason });
    }
    const persist = <T>(operation: () => Promise<T>): Promise<T> =>
      retryTransient(operation, {
        ...backoff,
        beforeRetry: async (error, attempt, delayMs) => {
          deps.metrics.batchRetries.inc(labels);
          deps.logger.warn(
            { shard, attempt, delayMs, err: error },
            'shard batch not applied: PostgreSQL unavailable, retrying the same commands',
          );
          await heartbeat();
          // A revoked partition or a stopping consumer: the next owner gets the batch again.
          if (!isRunning() || isStale()) throw new BatchAbandoned();
        },
      });
    let applied: AppliedBatch | undefined;
    const stopTransactionTimer = deps.metrics.transactionDuration.startTimer(labels);
    try {
      applied =
        commands.length === 0
          ? undefined
          : await applyIsolating(
              commands,
              {
                // Each attempt reads the clock: holds get their full TTL after an outage.
                apply: (group) =>
                  persist(() => applyShardBatch(deps.pool, deps.event, shard, group, new Date())),
                recordRejected: (orders) =>
                  persist(() => recordRejectedOrders(deps.pool, deps.event, orders)),
              },
              { shard, now: new Date() },
              (command, error) =>
                deps.logger.warn(
                  { shard, orderId: command.orderId, kind: command.kind, err: error },
                  'the database refused a command on its own; isolated from its batch',
                ),
            );
    } catch (error) {
      if (!(error instanceof BatchAbandoned)) throw error;
      deps.logger.info({ shard }, 'batch left for the next owner of the partition');
      return;
    }
    if (applied) stopTransactionTimer();
    await heartbeat();

    // Malformed messages and commands that can never apply, each with its reason.
    const deadLetters = [
      ...malformed,
      ...(applied?.deadLetters ?? []).map((d) => ({ message: sources[d.index]!, reason: d.reason })),
    ];
    const forwardedIds = new Set(applied?.forwards.map((f) => f.command.orderId));
    const produced = [
      ...(applied?.forwards ?? []).map((f) => ({
        topic: eventTopic(deps.event),
        messages: [{ key: f.command.orderId, value: JSON.stringify(f.command), partition: f.shard }],
      })),
      {
        topic: deps.topics.orderEvents,
        messages: applied ? orderEventMessages(deps.event, applied, forwardedIds, commands) : [],
      },
    ].filter((t) => t.messages.length > 0);
    if (produced.length > 0) await sendBatchTraced(deps.producer, { topicMessages: produced });
    // Dead letters on their own, in requests the broker accepts however large the originals were.
    const deadLetterBatches = deadLetterRequests(eventLabel, batch.topic, shard, deadLetters);
    for (const messages of deadLetterBatches) {
      await sendBatchTraced(deps.producer, { topicMessages: [{ topic: deps.topics.deadLetter, messages }] });
      await heartbeat();
    }
    if (deadLetters.length > 0) {
      deps.metrics.deadLetters.inc(labels, deadLetters.length);
      deps.logger.warn(
        {
          shard,
          count: deadLetters.length,
          reasons: deadLetterBatches.flat().map((m) => String(m.headers!.reason)),
        },
        'dead-lettered commands that are malformed or cannot apply',
      );
    }
    if (applied) {
      applied.outcomes.forEach((outcome, i) =>
        deps.metrics.outcomes.inc(
          outcomeLabels(eventLabel, commands[i], outcome, forwardedIds.has(outcome.orderId)),
        ),
      );
      for (const offer of applied.offers)
        deps.metrics.outcomes.inc({
          event: eventLabel,
          ticket_type: offer.ticketType,
          outcome: 'offered',
          reason: '',
        });
      deps.metrics.batchSize.observe(labels, commands.length);
    }

    // The batch is committed in PostgreSQL and produced, its offsets not yet committed (test-only).
    deps.faults?.reach('before-offset-commit');
    resolveOffset(batch.lastOffset());
    const stopCommitTimer = deps.metrics.offsetCommitDuration.startTimer(labels);
    await deps.commitOffsets(shard, (BigInt(batch.lastOffset()) + 1n).toString());
    stopCommitTimer();

    if (applied) {
      const deadLettered = new Set(applied.deadLetters.map((d) => d.index));
      await publishReplies(deps.redis, deps.logger, commands, applied, forwardedIds, deadLettered);
      await publishOffers(
        deps.redis,
        deps.prefix,
        eventLabel,
        applied.offers.map((o) => ({
          orderId: o.id,
          ticketType: o.ticketType,
          quantity: o.quantity,
          expiresAt: o.expiresAt,
        })),
      ).catch((error: Error) => deps.logger.warn({ err: error }, 'waiting-list offers not announced'));
      if (applied.counters) {
        const remaining = new Map(
          [...applied.counters].map(([type, c]) => [type, c.capacity - c.held - c.sold]),
        );
        await deps.availability
          .writeShard(eventLabel, shard, remaining)
          .catch((error: Error) => deps.logger.warn({ err: error }, 'availability cache not updated'));
      }
    }
    deps.logger.debug(
      { shard, firstOffset: batch.firstOffset(), lastOffset: batch.lastOffset(), commands: commands.length },
      'batch applied',
    );
    stopTimer();
  };
}

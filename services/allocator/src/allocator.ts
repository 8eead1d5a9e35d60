import type { EventKey } from '@boxoffice/inventory';
import { availabilityCache } from '@boxoffice/platform/availability-cache';
import type { Logger } from '@boxoffice/platform/logger';
import { allocatorGroupId, eventTopic } from '@boxoffice/store';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { FaultPoints } from './fault-point.ts';
import type { AllocatorMetrics } from './metrics.ts';
import { shardBatchHandler } from './shard-consumer.ts';

export interface AllocatorDeps {
  event: EventKey;
  pool: pg.Pool;
  kafka: Kafka;
  redis: Redis;
  prefix: string;
  topics: { orderEvents: string; deadLetter: string };
  metrics: AllocatorMetrics;
  logger: Logger;
  partitionsConcurrently: number;
  /** Test-only crash points (fault-point.ts); none by default. */
  faults?: FaultPoints;
}

export interface Allocator {
  /** True once the consumer has joined its group (readiness). */
  joined(): boolean;
  ownedShards(): number[];
  /** Finishes the batch in progress, commits, leaves the group. */
  stop(): Promise<void>;
}

/**
 * The allocator of one event: a consumer in the event's group (one partition = one shard, so each
 * shard has one writer at a time). It has no timer of its own: expiry reaches it as `hold.expire`
 * commands that purchase-api's sweeper produces, so a hold expires even while KEDA keeps the
 * allocator at zero (the command's lag wakes it).
 */
export async function startAllocator(deps: AllocatorDeps): Promise<Allocator> {
  const topic = eventTopic(deps.event);
  const consumer = deps.kafka.consumer({
    groupId: allocatorGroupId(deps.event),
    maxWaitTimeInMs: 50,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
  });
  const producer = deps.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  let owned: number[] = [];
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    owned = [...(payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
    joined = true;
    deps.logger.info({ shards: owned }, 'joined the allocator group');
  });
  consumer.on(consumer.events.REBALANCING, () => {
    owned = [];
  });
  consumer.on(consumer.events.CRASH, ({ payload }) =>
    deps.logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed'),
  );

  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: deps.partitionsConcurrently,
    eachBatch: shardBatchHandler({
      event: deps.event,
      pool: deps.pool,
      producer,
      redis: deps.redis,
      availability: availabilityCache(deps.redis, deps.prefix),
      prefix: deps.prefix,
      topics: deps.topics,
      metrics: deps.metrics,
      logger: deps.logger,
      faults: deps.faults,
      commitOffsets: (partition, offset) => consumer.commitOffsets([{ topic, partition, offset }]),
    }),
  });
  return {
    joined: () => joined,
    ownedShards: () => owned,
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

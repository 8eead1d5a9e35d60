import type { EventKey, HoldExpiryDue } from '@boxoffice/inventory';
import type { Logger } from '@boxoffice/platform/logger';
import { dueHolds, eventTopic } from '@boxoffice/store';
import type { Producer } from 'kafkajs';
import type pg from 'pg';

/**
 * Turns holds past their expiry into `hold.expire` commands on their own shard's partition, so the
 * seats return through the shard's single writer like every other change. Only the shards this
 * consumer owns are swept; a command sent twice is ignored by the shard (order no longer HELD).
 */
export function startExpirySweeper(deps: {
  event: EventKey;
  pool: pg.Pool;
  producer: Producer;
  ownedShards: () => number[];
  intervalMs: number;
  logger: Logger;
}): { stop: () => Promise<void> } {
  let running: Promise<void> | undefined;
  const sweep = async (): Promise<void> => {
    const shards = deps.ownedShards();
    if (shards.length === 0) return;
    const due = await dueHolds(deps.pool, deps.event, shards, new Date(), 1_000);
    if (due.length === 0) return;
    await deps.producer.send({
      topic: eventTopic(deps.event),
      messages: due.map(({ orderId, shard }) => {
        const command: HoldExpiryDue = { v: 1, kind: 'hold.expire', orderId };
        return { key: orderId, value: JSON.stringify(command), partition: shard };
      }),
    });
    deps.logger.debug({ count: due.length }, 'expiry commands sent');
  };
  const timer = setInterval(() => {
    if (running) return; // never overlap sweeps
    running = sweep()
      .catch((error: Error) =>
        deps.logger.warn({ err: error }, 'expiry sweep failed; retrying next interval'),
      )
      .finally(() => (running = undefined));
  }, deps.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

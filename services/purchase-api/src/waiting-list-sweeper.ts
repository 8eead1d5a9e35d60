import { newOrderId, type WaitingListServe } from '@boxoffice/inventory';
import type { Logger } from '@boxoffice/platform/logger';
import { eventKeyString, eventTopic, idleWaitingShards } from '@boxoffice/store';
import type { Producer } from 'kafkajs';
import type pg from 'pg';

export interface WaitingListSweepDeps {
  pool: pg.Pool;
  producer: Producer;
  intervalMs: number;
  /** A shard already nudged is nudged again only after this long (its list may not fit: a limit). */
  resendAfterMs: number;
  logger: Logger;
}

/**
 * Seats freed by a command of the shard are offered in that command's transaction; seats that
 * appear otherwise (the operator grew the capacity) are not, until something tells the shard. This
 * loop finds shards with seats left that a waiting buyer fits and sends each a `waiting-list.serve`
 * on its partition, so the offer is made by the shard's single writer like every other change. A
 * duplicate (another replica, a second round) serves nothing twice: the shard decides.
 */
export function startWaitingListSweeper(deps: WaitingListSweepDeps): { stop(): Promise<void> } {
  const sentAt = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const round = async (): Promise<void> => {
    const now = Date.now();
    for (const [key, at] of sentAt) if (now - at >= deps.resendAfterMs) sentAt.delete(key);
    const idle = (await idleWaitingShards(deps.pool)).filter(
      (s) => !sentAt.has(`${eventKeyString(s.event)}#${s.shard}#${s.ticketType}`),
    );
    for (const [event, shards] of Map.groupBy(idle, (s) => eventKeyString(s.event))) {
      await deps.producer.send({
        topic: eventTopic(shards[0]!.event),
        acks: -1,
        messages: shards.map((s) => {
          const command: WaitingListServe = {
            v: 1,
            kind: 'waiting-list.serve',
            orderId: newOrderId(),
            ticketType: s.ticketType,
          };
          return { key: command.orderId, value: JSON.stringify(command), partition: s.shard };
        }),
      });
      for (const s of shards) sentAt.set(`${event}#${s.shard}#${s.ticketType}`, now);
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = round()
        .catch((error: Error) => deps.logger.warn({ err: error }, 'waiting-list sweep failed; retrying'))
        .then(() => {
          running = undefined;
          schedule();
        });
    }, deps.intervalMs);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

import type { HoldExpiryDue } from '@boxoffice/inventory';
import type { Logger } from '@boxoffice/platform/logger';
import { sendTraced } from '@boxoffice/platform/telemetry/messaging';
import { withSpan } from '@boxoffice/platform/telemetry/spans';
import { eventKeyString, eventTopic, sweepDueHolds, type DueHold, type SweepRound } from '@boxoffice/store';
import type { Producer } from 'kafkajs';
import type pg from 'pg';
import type { Counter } from 'prom-client';

export interface ExpirySweepDeps {
  pool: pg.Pool;
  producer: Producer;
  /** Holds sent per round at most. */
  batchSize: number;
  /** How often the walk over due holds starts over (re-sending what is still HELD). */
  resendAfterMs: number;
  logger: Logger;
  /** `boxoffice_hold_expiry_commands_total{event, result}`. */
  commands?: Counter;
  /** `boxoffice_hold_expiry_sweeps_total{result}`: swept, skipped or failed rounds. */
  rounds?: Counter;
}

/**
 * One sweep round: the due holds of every event become `hold.expire` commands on their own shard's
 * partition, so the seats return through the shard's single writer like every other change, and
 * the partition's lag wakes an allocator that KEDA scaled to zero. Only the process holding the
 * sweep's lock sends (`swept: false` otherwise). A topic that refuses is logged and skipped, so one
 * broken event cannot stop expiry for all; its holds go again when the walk starts over. Only when
 * nothing could be sent does the round fail, and the next round sends the same holds. A round that
 * sends is a trace of its own (`expire due holds`), which every command it sent leads back to.
 */
export async function expirySweepRound(deps: ExpirySweepDeps): Promise<SweepRound> {
  return sweepDueHolds(deps.pool, { limit: deps.batchSize, restartAfterMs: deps.resendAfterMs }, (holds) =>
    withSpan('expire due holds', { 'boxoffice.holds.due': holds.length }, async () => {
      const events = [...Map.groupBy(holds, (hold) => eventKeyString(hold.event))];
      const results = await Promise.allSettled(
        events.map(([, eventHolds]) => send(deps.producer, eventHolds)),
      );
      results.forEach((result, i) => {
        const [event, eventHolds] = events[i]!;
        const outcome = result.status === 'fulfilled' ? 'sent' : 'failed';
        deps.commands?.inc({ event, result: outcome }, eventHolds.length);
      });
      const failures = results.flatMap((result, i) =>
        result.status === 'rejected' ? [{ event: events[i]![0], err: result.reason as unknown }] : [],
      );
      if (failures.length === results.length) throw failures[0]!.err;
      for (const failure of failures)
        deps.logger.warn(failure, 'expiry commands not sent; they go again when the walk starts over');
    }),
  );
}

function send(producer: Producer, holds: DueHold[]): Promise<unknown> {
  return sendTraced(producer, {
    topic: eventTopic(holds[0]!.event),
    acks: -1,
    messages: holds.map(({ orderId, shard }) => {
      const command: HoldExpiryDue = { v: 1, kind: 'hold.expire', orderId };
      return { key: orderId, value: JSON.stringify(command), partition: shard };
    }),
  });
}

export interface ExpirySweeper {
  /** Waits for the round in progress, then stops (SIGTERM). */
  stop(): Promise<void>;
}

/**
 * Sweeps every `intervalMs` in this purchase-api instance; rounds never overlap (the next is
 * scheduled when one ends), a round that filled its batch is followed at once by the next, and a
 * failed round is logged and retried at the next interval.
 */
export function startExpirySweeper(deps: ExpirySweepDeps & { intervalMs: number }): ExpirySweeper {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = expirySweepRound(deps)
        .then((round) => {
          deps.rounds?.inc({ result: round.swept ? 'swept' : 'skipped' });
          if (round.swept && round.due > 0) deps.logger.debug({ count: round.due }, 'expiry commands sent');
          return round.swept && round.due === deps.batchSize ? 0 : deps.intervalMs;
        })
        .catch((error: Error) => {
          deps.rounds?.inc({ result: 'failed' });
          deps.logger.warn({ err: error }, 'expiry sweep failed; retrying next interval');
          return deps.intervalMs;
        })
        .then((next) => {
          running = undefined;
          schedule(next);
        });
    }, delayMs);
    timer.unref();
  };
  schedule(deps.intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

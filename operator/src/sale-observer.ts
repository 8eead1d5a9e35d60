import type { EventKey } from '@boxoffice/inventory';
import type { Logger } from '@boxoffice/platform/logger';
import {
  consumerLag,
  eventKeyString,
  eventsOnSale,
  invariantViolations,
  overdueHolds,
  sellOuts,
  shardCounters,
  type ObservedEvent,
  type OverdueHolds,
  type PartitionLag,
  type SellOut,
  type ShardCounters,
} from '@boxoffice/store';
import type { Admin } from 'kafkajs';
import type pg from 'pg';

/** The sales as last seen: PostgreSQL's counters and Kafka's offsets, for the sale metrics. */
export interface SaleObservation {
  events: ObservedEvent[];
  shards: ShardCounters[];
  sellOuts: SellOut[];
  overdue: OverdueHolds[];
  lag: { event: EventKey; shards: PartitionLag[] }[];
}

export interface InventoryAudit {
  /** Violations of the invariants per event (`namespace/name`); 0 means sound. */
  violations: Map<string, number>;
  /** Unix seconds when the last complete round ended. */
  finishedAt: number;
  seconds: number;
}

export type ObservationStep = 'inventory' | 'lag' | 'audit';

export interface SaleObserver {
  observation(): SaleObservation | undefined;
  audit(): InventoryAudit | undefined;
  stop(): Promise<void>;
}

export interface SaleObserverDeps {
  pool: pg.Pool;
  admin: Admin;
  /** Only this namespace's events (the operator's WATCH_NAMESPACE); unset: all. */
  namespace?: string;
  logger: Logger;
  intervalMs: number;
  auditIntervalMs: number;
  /** A step that failed this round; its last good values stay until the next round. */
  onError?: (step: ObservationStep, error: unknown) => void;
  onAudit?: (audit: InventoryAudit) => void;
}

/** Runs `round` now and then every `intervalMs` after the previous one ended (rounds never overlap). */
function every(intervalMs: number, round: () => Promise<void>): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = (): void => {
    running = round().finally(() => {
      running = undefined;
      if (stopped) return;
      timer = setTimeout(tick, intervalMs);
      timer.unref();
    });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/**
 * Watches the sales from the one place that always runs, the leading operator: every `intervalMs`
 * the shard counters, sell-outs, overdue holds (a few indexed reads) and each allocator group's lag
 * (two Kafka admin requests per event); every `auditIntervalMs` the full invariant audit, one event
 * at a time, so its cost is one pass over one event's orders at once, never a scan of everything.
 */
export function startSaleObserver(deps: SaleObserverDeps): SaleObserver {
  let observation: SaleObservation | undefined;
  let audit: InventoryAudit | undefined;
  const failed = (step: ObservationStep) => (error: unknown) => {
    deps.onError?.(step, error);
    deps.logger.warn({ err: error, step }, 'sale observation failed; keeping the last values');
  };

  const observe = async (): Promise<void> => {
    const inventory = await Promise.all([
      eventsOnSale(deps.pool, deps.namespace),
      shardCounters(deps.pool, deps.namespace),
      sellOuts(deps.pool, deps.namespace),
      overdueHolds(deps.pool, deps.namespace),
    ]).catch(failed('inventory'));
    if (!inventory) return;
    const [events, shards, sold, overdue] = inventory;
    const lag: SaleObservation['lag'] = [];
    for (const event of events) {
      // A topic the operator has not created yet, or a broker away: that event's lag is left out.
      const shardsLag = await consumerLag(deps.admin, event).catch(failed('lag'));
      if (shardsLag) lag.push({ event: { namespace: event.namespace, name: event.name }, shards: shardsLag });
    }
    observation = { events, shards, sellOuts: sold, overdue, lag };
  };

  const auditRound = async (): Promise<void> => {
    const started = performance.now();
    const events = await eventsOnSale(deps.pool, deps.namespace).catch(failed('audit'));
    if (!events) return;
    const violations = new Map<string, number>();
    for (const event of events) {
      const problems = await invariantViolations(deps.pool, { eventId: event.id }).catch(failed('audit'));
      if (!problems) return;
      if (problems.length > 0)
        deps.logger.error(
          { event: eventKeyString(event), problems: problems.slice(0, 20), count: problems.length },
          'inventory audit: invariants violated',
        );
      violations.set(eventKeyString(event), problems.length);
    }
    audit = { violations, finishedAt: Date.now() / 1000, seconds: (performance.now() - started) / 1000 };
    deps.onAudit?.(audit);
  };

  const loops = [every(deps.intervalMs, observe), every(deps.auditIntervalMs, auditRound)];
  return {
    observation: () => observation,
    audit: () => audit,
    async stop() {
      await Promise.all(loops.map((loop) => loop.stop()));
    },
  };
}

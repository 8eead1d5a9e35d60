import type { Outcome, ShardCommand } from '@boxoffice/inventory';
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * The allocator's metrics. Labels are bounded: `event` is `namespace/name`, `shard` a partition,
 * `ticket_type` one of the event's types, `outcome` and `reason` the domain's fixed sets; never an
 * order or buyer id. Consumer lag is measured from outside (the operator's sale observer), so it is
 * known while an allocator is scaled to zero or stuck.
 */
export interface AllocatorMetrics {
  batchSize: Histogram;
  batchDuration: Histogram;
  transactionDuration: Histogram;
  offsetCommitDuration: Histogram;
  outcomes: Counter;
  deadLetters: Counter;
  batchRetries: Counter;
}

const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function allocatorMetrics(registry: Registry): AllocatorMetrics {
  const shardLabels = ['event', 'shard'] as const;
  return {
    batchSize: new Histogram({
      name: 'boxoffice_allocator_batch_size',
      help: 'Commands applied per shard transaction',
      labelNames: shardLabels,
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'boxoffice_allocator_batch_duration_seconds',
      help: 'Time to apply one partition batch: transaction, forwards, offset commit, replies',
      labelNames: shardLabels,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    transactionDuration: new Histogram({
      name: 'boxoffice_allocator_transaction_duration_seconds',
      help: "Time until a batch's changes are committed in PostgreSQL: its shard transaction(s), including waits and retries while PostgreSQL is unavailable",
      labelNames: shardLabels,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    offsetCommitDuration: new Histogram({
      name: 'boxoffice_allocator_offset_commit_duration_seconds',
      help: "Time to commit a batch's Kafka offsets (after its PostgreSQL commit)",
      labelNames: shardLabels,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    outcomes: new Counter({
      name: 'boxoffice_orders_total',
      help: 'Order command outcomes decided by the allocator (held, confirmed, released, expired, refund_required, rejected, forwarded, duplicate, ignored; joined, left, served for waiting lists, and offered: a hold made for a waiting buyer), with the reason of a rejection or an ignored command',
      labelNames: ['event', 'ticket_type', 'outcome', 'reason'] as const,
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'boxoffice_dead_letters_total',
      help: 'Messages sent to the dead-letter topic (malformed, or a command that can never apply)',
      labelNames: shardLabels,
      registers: [registry],
    }),
    batchRetries: new Counter({
      name: 'boxoffice_allocator_batch_retries_total',
      help: 'Shard transactions retried because PostgreSQL was unavailable (the commands wait, none is blamed)',
      labelNames: shardLabels,
      registers: [registry],
    }),
  };
}

/**
 * The counters of a shard exist from its first batch, at zero: a rate or an alert on dead letters
 * and retries then sees 0, not "no data".
 */
export function initShardCounters(metrics: AllocatorMetrics, labels: { event: string; shard: string }): void {
  metrics.deadLetters.inc(labels, 0);
  metrics.batchRetries.inc(labels, 0);
}

/**
 * The labels of one outcome. A rejection or an ignored command may carry a ticket type the event
 * never had (a command that cannot apply): it is counted without one, so the label stays bounded.
 */
export function outcomeLabels(
  eventLabel: string,
  command: ShardCommand | undefined,
  outcome: Outcome,
  forwarded: boolean,
): { event: string; ticket_type: string; outcome: string; reason: string } {
  const reason = 'reason' in outcome ? outcome.reason : '';
  const ticketType =
    'order' in outcome
      ? outcome.order.ticketType
      : 'entry' in outcome
        ? outcome.entry.ticketType
        : (command?.kind === 'purchase.requested' || command?.kind === 'waiting-list.join') &&
            reason !== 'unknown_ticket_type'
          ? command.ticketType
          : '';
  return {
    event: eventLabel,
    ticket_type: ticketType,
    outcome: forwarded ? 'forwarded' : outcome.kind,
    reason,
  };
}

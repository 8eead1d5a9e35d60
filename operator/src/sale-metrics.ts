import { eventKeyString } from '@boxoffice/store';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { InventoryAudit, ObservationStep, SaleObservation, SaleObserver } from './sale-observer.ts';

type Sample = [labels: Record<string, string>, value: number];

/** A gauge whose series are exactly those `samples` returns at scrape time (stale ones vanish). */
function snapshotGauge(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  samples: () => Sample[],
): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of samples()) this.set(labels, value);
    },
  });
}

/**
 * The sale metrics, from the leading operator's sale observer (no observer, no series): inventory
 * per event, ticket type and shard; time to sell out; holds past their expiry; each allocator
 * group's lag per shard; the invariant audit per event. `event` is `namespace/name`.
 */
export function saleMetrics(registry: Registry, observer: () => SaleObserver | undefined) {
  const seen = (): SaleObservation | undefined => observer()?.observation();
  const shardSamples = (value: (s: SaleObservation['shards'][number]) => number) => (): Sample[] =>
    (seen()?.shards ?? []).map((s) => [
      { event: eventKeyString(s.event), ticket_type: s.ticketType, shard: String(s.shard) },
      value(s),
    ]);
  const shardLabels = ['event', 'ticket_type', 'shard'];
  snapshotGauge(
    registry,
    'boxoffice_inventory_capacity',
    'Tickets of a type on a shard (PostgreSQL)',
    shardLabels,
    shardSamples((s) => s.capacity),
  );
  snapshotGauge(
    registry,
    'boxoffice_inventory_held',
    'Tickets of a type held (unpaid) on a shard',
    shardLabels,
    shardSamples((s) => s.held),
  );
  snapshotGauge(
    registry,
    'boxoffice_inventory_sold',
    'Tickets of a type sold on a shard',
    shardLabels,
    shardSamples((s) => s.sold),
  );
  snapshotGauge(
    registry,
    'boxoffice_inventory_remaining',
    'Tickets of a type still available on a shard (capacity - held - sold)',
    shardLabels,
    shardSamples((s) => s.capacity - s.held - s.sold),
  );
  snapshotGauge(
    registry,
    'boxoffice_ticket_type_sell_out_seconds',
    'While a ticket type is sold out: seconds from the sale opening to the hold that took its last ticket',
    ['event', 'ticket_type'],
    () =>
      (seen()?.sellOuts ?? []).map((s) => [
        { event: eventKeyString(s.event), ticket_type: s.ticketType },
        s.seconds,
      ]),
  );
  const overdue = (value: (o: SaleObservation['overdue'][number]) => number) => (): Sample[] => {
    const observation = seen();
    if (!observation) return [];
    const byEvent = new Map(observation.overdue.map((o) => [eventKeyString(o.event), o]));
    return observation.events.map((e) => {
      const found = byEvent.get(eventKeyString(e));
      return [{ event: eventKeyString(e) }, found ? value(found) : 0];
    });
  };
  snapshotGauge(
    registry,
    'boxoffice_holds_past_expiry',
    'Unpaid holds still HELD after their expiry (their seats are not back on sale yet)',
    ['event'],
    overdue((o) => o.count),
  );
  snapshotGauge(
    registry,
    'boxoffice_oldest_hold_past_expiry_seconds',
    'How long the oldest hold still HELD is past its expiry (0: none)',
    ['event'],
    overdue((o) => o.oldestSeconds),
  );
  const lagSamples =
    (value: (p: SaleObservation['lag'][number]['shards'][number]) => number) => (): Sample[] =>
      (seen()?.lag ?? []).flatMap(({ event, shards }) =>
        shards.map((p): Sample => [{ event: eventKeyString(event), shard: String(p.shard) }, value(p)]),
      );
  snapshotGauge(
    registry,
    'boxoffice_allocator_consumer_lag',
    "Commands on a shard's partition not yet applied by the event's allocator group (end offset - committed offset)",
    ['event', 'shard'],
    lagSamples((p) => p.lag),
  );
  snapshotGauge(
    registry,
    'boxoffice_allocator_committed_offset',
    "The allocator group's committed offset on a shard's partition (grows as it applies commands)",
    ['event', 'shard'],
    lagSamples((p) => p.committed),
  );
  snapshotGauge(
    registry,
    'boxoffice_purchase_topic_end_offset',
    "The end offset (high watermark) of a shard's partition (grows as commands are produced)",
    ['event', 'shard'],
    lagSamples((p) => p.end),
  );

  const audited = (): InventoryAudit | undefined => observer()?.audit();
  snapshotGauge(
    registry,
    'boxoffice_inventory_audit_ok',
    "1 when the last audit found the event's invariants intact (held + sold <= capacity, counters equal the orders, tickets only for confirmed orders, buyer limits), 0 when it found a violation",
    ['event'],
    () => [...(audited()?.violations ?? [])].map(([event, n]) => [{ event }, n === 0 ? 1 : 0]),
  );
  snapshotGauge(
    registry,
    'boxoffice_inventory_audit_violations',
    'Invariant violations the last audit found for the event (details in the operator log)',
    ['event'],
    () => [...(audited()?.violations ?? [])].map(([event, n]) => [{ event }, n]),
  );
  snapshotGauge(
    registry,
    'boxoffice_inventory_audit_last_success_timestamp_seconds',
    'When the last complete audit round (every event on sale) finished, unix seconds',
    [],
    () => {
      const audit = audited();
      return audit ? [[{}, audit.finishedAt]] : [];
    },
  );
  const auditDuration = new Histogram({
    name: 'boxoffice_inventory_audit_duration_seconds',
    help: 'Duration of one audit round over every event on sale',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'boxoffice_sale_observation_errors_total',
    help: 'Failed steps of the sale observer (inventory: PostgreSQL reads, lag: Kafka offsets, audit); the last values stay',
    labelNames: ['step'],
    registers: [registry],
  });
  for (const step of ['inventory', 'lag', 'audit'] satisfies ObservationStep[]) errors.inc({ step }, 0);
  return {
    failed: (step: ObservationStep) => errors.inc({ step }),
    audited: (audit: InventoryAudit) => auditDuration.observe(audit.seconds),
  };
}

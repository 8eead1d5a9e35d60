import { dashboard, row, statPanel, timeSeries, variables, type Dashboard } from './panels.ts';
import { quantile, rate } from './promql.ts';

const event = 'event="$event"';
const shards = `{${event}, shard=~"$shard"}`;

/** An event's allocators and their Kafka partitions: lag, batches, commit latencies, failures. */
export function allocatorDashboard(): Dashboard {
  return dashboard(
    'boxoffice-allocator',
    'boxoffice / Allocator and Kafka',
    "An event's allocator group: consumer lag per shard, batch size and duration, PostgreSQL and offset commit latency, dead letters and retries.",
  )
    .withVariable(variables.namespace())
    .withVariable(variables.event())
    .withVariable(variables.shard())
    .withRow(row('Kafka'))
    .withPanel(
      timeSeries({
        title: 'Consumer lag per shard',
        description:
          "Commands on each shard's partition not yet applied by the event's allocator group (from the brokers, so it is known while the allocator is scaled to zero). KEDA scales on it; a shard whose lag stays with no progress is stalled (BoxofficeShardStalled).",
        unit: 'short',
        min: 0,
        targets: [{ expr: `boxoffice_allocator_consumer_lag${shards}`, legend: 'shard {{shard}}' }],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Consumer lag per event',
        description: 'Lag summed over the shards of every event in the namespace.',
        unit: 'short',
        min: 0,
        targets: [
          {
            expr: 'sum by (event) (boxoffice_allocator_consumer_lag{event=~"$namespace/.*"})',
            legend: '{{event}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Commands applied per second',
        description: 'Commands the allocators applied per shard (the sum of their batch sizes).',
        unit: 'ops',
        targets: [
          {
            expr: `sum by (shard) (${rate(`boxoffice_allocator_batch_size_sum${shards}`)})`,
            legend: 'shard {{shard}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Commands produced per second',
        description:
          "Growth of each shard's partition end offset: purchases, releases, payments and expiries produced to it.",
        unit: 'ops',
        targets: [
          {
            expr: `sum by (shard) (deriv(boxoffice_purchase_topic_end_offset${shards}[$__rate_interval]))`,
            legend: 'shard {{shard}}',
          },
        ],
      }),
    )
    .withRow(row('Batches'))
    .withPanel(
      timeSeries({
        title: 'Batch size',
        description:
          'Commands per shard transaction: larger batches mean fewer transactions per ticket under load.',
        unit: 'short',
        targets: [
          { expr: quantile(0.5, 'boxoffice_allocator_batch_size', shards), legend: 'p50' },
          { expr: quantile(0.99, 'boxoffice_allocator_batch_size', shards), legend: 'p99' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Batch duration',
        description:
          'Time to apply one batch: the PostgreSQL transaction, forwards, order events, offset commit and replies.',
        unit: 's',
        targets: [
          { expr: quantile(0.5, 'boxoffice_allocator_batch_duration_seconds', shards), legend: 'p50' },
          { expr: quantile(0.99, 'boxoffice_allocator_batch_duration_seconds', shards), legend: 'p99' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'PostgreSQL commit latency p99',
        description:
          "Time until a batch's changes are committed in PostgreSQL, per shard, including waits while PostgreSQL is unavailable.",
        unit: 's',
        targets: [
          {
            expr: quantile(0.99, 'boxoffice_allocator_transaction_duration_seconds', shards, ['shard']),
            legend: 'shard {{shard}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Kafka offset commit latency p99',
        description: "Time to commit a batch's offsets, per shard (after its PostgreSQL commit).",
        unit: 's',
        targets: [
          {
            expr: quantile(0.99, 'boxoffice_allocator_offset_commit_duration_seconds', shards, ['shard']),
            legend: 'shard {{shard}}',
          },
        ],
      }),
    )
    .withRow(row('Failures'))
    .withPanel(
      timeSeries({
        title: 'Dead letters',
        description:
          'Messages sent to the dead-letter topic per shard: malformed, or a command that can never apply (the reason is in the message header). Any: BoxofficeDeadLetters.',
        unit: 'short',
        min: 0,
        targets: [
          {
            expr: `sum by (shard) (increase(boxoffice_dead_letters_total${shards}[$__rate_interval]))`,
            legend: 'shard {{shard}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Batch retries',
        description:
          'Shard transactions retried because PostgreSQL was unavailable (the same commands wait; none is blamed). Sustained: BoxofficeAllocatorRetryingTransactions.',
        unit: 'ops',
        min: 0,
        targets: [
          {
            expr: `sum by (shard) (${rate(`boxoffice_allocator_batch_retries_total${shards}`)})`,
            legend: 'shard {{shard}}',
          },
        ],
      }),
    )
    .withPanel(
      statPanel({
        title: "Dependencies (allocators' view)",
        description: 'Whether every allocator process reached PostgreSQL, Redis and Kafka on its last probe.',
        unit: 'bool_yes_no',
        span: 12,
        targets: [
          {
            expr: 'min by (dependency) (boxoffice_dependency_up{service="allocator"})',
            legend: '{{dependency}}',
          },
        ],
      }),
    )
    .build();
}

import { dashboard, row, statPanel, timeSeries, type Dashboard } from './panels.ts';
import { BOXOFFICE_JOBS, quantile, rate, ratioOrZero } from './promql.ts';

const requests = 'http_request_duration_seconds_count';

/** The platform at a glance: the order SLOs, RED per service and route, the sales and their projection, the health checks. */
export function overviewDashboard(): Dashboard {
  return dashboard(
    'boxoffice-overview',
    'boxoffice / Overview',
    'Order SLOs, RED metrics per service and route, sales across events, and the health of every part.',
  )
    .withRow(row('Order SLOs'))
    .withPanel(
      statPanel({
        title: 'Order availability (1h)',
        description:
          'Share of POST …/orders answered without a 5xx over the last hour (recording rule boxoffice:order_request_errors:ratio_rate1h). SLO: 99.9 %. Below it, see the BoxofficeOrderErrorBudgetBurn runbook.',
        unit: 'percentunit',
        targets: [{ expr: '1 - boxoffice:order_request_errors:ratio_rate1h', legend: 'availability' }],
      }),
    )
    .withPanel(
      statPanel({
        title: 'Orders answered within 1 s (1h)',
        description:
          'Share of POST …/orders answered (hold, sold out or pending) within one second over the last hour. SLO: 99 %. A 202 means the allocator did not answer within the reply timeout.',
        unit: 'percentunit',
        targets: [{ expr: '1 - boxoffice:order_request_slow:ratio_rate1h', legend: 'within 1 s' }],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Error budget burn rate',
        description:
          'How fast each SLO spends its 30-day budget (1 = exactly on budget). The page fires above 14.4 over 1h and 5m, or 6 over 6h and 30m.',
        unit: 'short',
        targets: [
          { expr: 'boxoffice:order_request_errors:ratio_rate1h / 0.001', legend: 'availability 1h' },
          { expr: 'boxoffice:order_request_errors:ratio_rate6h / 0.001', legend: 'availability 6h' },
          { expr: 'boxoffice:order_request_slow:ratio_rate1h / 0.01', legend: 'latency 1h' },
          { expr: 'boxoffice:order_request_slow:ratio_rate6h / 0.01', legend: 'latency 6h' },
        ],
      }),
    )
    .withRow(row('RED per service'))
    .withPanel(
      timeSeries({
        title: 'Requests per second',
        description: 'HTTP requests per service and route template (never a raw path).',
        unit: 'reqps',
        targets: [{ expr: `sum by (service, route) (${rate(requests)})`, legend: '{{service}} {{route}}' }],
      }),
    )
    .withPanel(
      timeSeries({
        title: '5xx ratio',
        description:
          'Share of requests answered with a 5xx, per service. Bad input is a 4xx; any 5xx is a bug or an unavailable dependency (see the dependency panel).',
        unit: 'percentunit',
        min: 0,
        targets: [
          {
            expr: ratioOrZero(
              `sum by (service) (${rate(`${requests}{status_code=~"5.."}`)})`,
              `sum by (service) (${rate(requests)})`,
            ),
            legend: '{{service}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Latency p99 per route',
        description: '99th percentile of the HTTP request duration per service and route.',
        unit: 's',
        targets: [
          {
            expr: quantile(0.99, 'http_request_duration_seconds', '', ['service', 'route']),
            legend: '{{service}} {{route}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Latency p50 per route',
        description: 'Median HTTP request duration per service and route.',
        unit: 's',
        targets: [
          {
            expr: quantile(0.5, 'http_request_duration_seconds', '', ['service', 'route']),
            legend: '{{service}} {{route}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Allocator batches per second',
        description:
          'Partition batches the allocators applied, per event (the allocator RED rate; its errors are dead letters and retries, on the Allocator dashboard).',
        unit: 'ops',
        targets: [
          {
            expr: `sum by (event) (${rate('boxoffice_allocator_batch_duration_seconds_count')})`,
            legend: '{{event}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Allocator batch duration p99',
        description:
          '99th percentile of the time to apply one batch (transaction, forwards, offset commit, replies), per event.',
        unit: 's',
        targets: [
          {
            expr: quantile(0.99, 'boxoffice_allocator_batch_duration_seconds', '', ['event']),
            legend: '{{event}}',
          },
        ],
      }),
    )
    .withRow(row('Sales'))
    .withPanel(
      timeSeries({
        title: 'Holds per second',
        description: 'Holds the allocators granted, per event.',
        unit: 'ops',
        targets: [
          { expr: `sum by (event) (${rate('boxoffice_orders_total{outcome="held"}')})`, legend: '{{event}}' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Sold-out answers per second',
        description:
          'Order requests answered 409 sold out, per event: the fast path (no shard has stock) and rejections from the allocators.',
        unit: 'ops',
        targets: [
          {
            expr: `sum by (event) (${rate('boxoffice_api_orders_total{outcome="sold_out"}')})`,
            legend: '{{event}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Answers to order requests',
        description:
          'What purchase-api answered, by outcome: accepted (201), pending (202), sold_out and limit_reached (409), not_on_sale, unavailable (503), …',
        unit: 'ops',
        stacked: true,
        targets: [
          { expr: `sum by (outcome) (${rate('boxoffice_api_orders_total')})`, legend: '{{outcome}}' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Consumer lag per event',
        description:
          'Commands produced and not yet applied, summed over the shards of each event (measured by the operator from the brokers).',
        unit: 'short',
        targets: [{ expr: 'sum by (event) (boxoffice_allocator_consumer_lag)', legend: '{{event}}' }],
      }),
    )
    .withRow(row('Sales analytics projection'))
    .withPanel(
      timeSeries({
        title: 'Order events added to the projection',
        description:
          'Order events the analytics consumer read per second, by outcome: applied (added to sales_by_minute), duplicate (already counted: a redelivery or replay), unreadable (skipped, logged).',
        unit: 'ops',
        stacked: true,
        targets: [
          { expr: `sum by (outcome) (${rate('boxoffice_analytics_events_total')})`, legend: '{{outcome}}' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Projection lag',
        description:
          'Order events on the topic not yet in the projection, per partition, as of the consumer’s last batch: how far the organizers’ per-minute series trails. Growing: see BoxofficeAnalyticsLagHigh.',
        unit: 'short',
        min: 0,
        targets: [
          {
            expr: 'max by (partition) (boxoffice_analytics_consumer_lag)',
            legend: 'partition {{partition}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Projection batch duration p99',
        description:
          '99th percentile of the time to add one batch of order events to the projection (one PostgreSQL transaction).',
        unit: 's',
        targets: [{ expr: quantile(0.99, 'boxoffice_analytics_batch_duration_seconds', ''), legend: 'p99' }],
      }),
    )
    .withRow(row('Health'))
    .withPanel(
      statPanel({
        title: 'Inventory audit',
        description:
          'Whether the last audit found every invariant intact, per event (held + sold <= capacity, counters equal the orders, tickets only for confirmed orders). No: page, see BoxofficeInventoryAuditFailing.',
        unit: 'bool_yes_no',
        targets: [{ expr: 'min by (event) (boxoffice_inventory_audit_ok)', legend: '{{event}}' }],
      }),
    )
    .withPanel(
      statPanel({
        title: 'Dependencies reachable',
        description: 'PostgreSQL, Redis and Kafka as each service sees them (its last probe).',
        unit: 'bool_yes_no',
        targets: [
          {
            expr: 'min by (service, dependency) (boxoffice_dependency_up)',
            legend: '{{service}} → {{dependency}}',
          },
        ],
      }),
    )
    .withPanel(
      statPanel({
        title: 'Scrape targets up',
        description: 'Whether Prometheus reaches each boxoffice process (up).',
        unit: 'bool_yes_no',
        targets: [{ expr: `min by (job) (up{${BOXOFFICE_JOBS}})`, legend: '{{job}}' }],
      }),
    )
    .withPanel(
      statPanel({
        title: 'Dead letters',
        description:
          'Messages dead-lettered in the selected time range, per event. Any: see BoxofficeDeadLetters.',
        unit: 'short',
        targets: [
          { expr: 'sum by (event) (increase(boxoffice_dead_letters_total[$__range]))', legend: '{{event}}' },
        ],
      }),
    )
    .build();
}

import { dashboard, row, statPanel, timeSeries, type Dashboard } from './panels.ts';
import { quantile, rate } from './promql.ts';

/** The operator: reconciles, their errors and duration, the work queue, TicketEvents by phase. */
export function operatorDashboard(): Dashboard {
  return dashboard(
    'boxoffice-operator',
    'boxoffice / Operator',
    'The TicketEvent operator: reconciles and errors by reason, reconcile duration, queue depth, TicketEvents by phase, leadership and the sale observer.',
  )
    .withRow(row('Reconciles'))
    .withPanel(
      timeSeries({
        title: 'Reconciles per second',
        description:
          'Finished reconciles by result: success, error (retried with backoff) or terminal (waits for a change of the spec).',
        unit: 'ops',
        stacked: true,
        targets: [
          { expr: `sum by (result) (${rate('boxoffice_operator_reconciles_total')})`, legend: '{{result}}' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Reconcile errors by reason',
        description:
          'Failed reconciles by reason: a terminal reason (CapacityBelowAllocated, ShardsDecreased, …) or the failing dependency (KubernetesApiError, KafkaError, DatabaseError, ConnectionError, Conflict). Sustained: BoxofficeOperatorReconcileErrors.',
        unit: 'ops',
        min: 0,
        targets: [
          {
            expr: `sum by (reason) (${rate('boxoffice_operator_reconcile_errors_total')})`,
            legend: '{{reason}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Reconcile duration',
        description:
          'Duration of one reconcile (API reads and writes, provisioning in PostgreSQL and Kafka).',
        unit: 's',
        targets: [
          { expr: quantile(0.5, 'boxoffice_operator_reconcile_duration_seconds', ''), legend: 'p50' },
          { expr: quantile(0.99, 'boxoffice_operator_reconcile_duration_seconds', ''), legend: 'p99' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Queue depth',
        description:
          'TicketEvent keys waiting for a reconcile on the leader. Growing: reconciles are slower than changes arrive.',
        unit: 'short',
        min: 0,
        targets: [{ expr: 'max(boxoffice_operator_queue_depth)', legend: 'queued' }],
      }),
    )
    .withRow(row('TicketEvents'))
    .withPanel(
      timeSeries({
        title: 'TicketEvents by phase',
        description: 'How many TicketEvents are in each status phase (reported by the leader).',
        unit: 'short',
        stacked: true,
        targets: [{ expr: 'sum by (phase) (boxoffice_ticketevents)', legend: '{{phase}}' }],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'TicketEvents not Ready',
        description:
          'TicketEvents whose Ready condition is not True. One for 10 minutes: BoxofficeTicketEventNotReady (kubectl describe tev shows which child).',
        unit: 'short',
        min: 0,
        targets: [{ expr: 'sum(1 - boxoffice_ticketevent_ready)', legend: 'not ready' }],
      }),
    )
    .withPanel(
      statPanel({
        title: 'Leader',
        description:
          'Which replica holds the leader lease (1). None for 5 minutes: BoxofficeOperatorNoLeader.',
        unit: 'short',
        targets: [{ expr: 'boxoffice_operator_leader', legend: '{{instance}}' }],
      }),
    )
    .withPanel(
      statPanel({
        title: "Dependencies (operator's view)",
        description: 'Whether the operator reached PostgreSQL and Kafka on its last probe.',
        unit: 'bool_yes_no',
        targets: [
          {
            expr: 'min by (dependency) (boxoffice_dependency_up{service="operator"})',
            legend: '{{dependency}}',
          },
        ],
      }),
    )
    .withRow(row('Sale observer and audit'))
    .withPanel(
      timeSeries({
        title: 'Inventory audit duration',
        description: 'Duration of one audit round over every event on sale (one event at a time).',
        unit: 's',
        targets: [{ expr: quantile(0.99, 'boxoffice_inventory_audit_duration_seconds', ''), legend: 'p99' }],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Time since the last complete audit',
        description:
          'Age of the last audit round that covered every event. Above 15 minutes: BoxofficeInventoryAuditNotRunning.',
        unit: 's',
        targets: [
          { expr: 'time() - max(boxoffice_inventory_audit_last_success_timestamp_seconds)', legend: 'age' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Sale observation errors',
        description:
          'Failed steps of the sale observer (inventory: PostgreSQL, lag: Kafka, audit); the sale metrics keep their last values meanwhile.',
        unit: 'ops',
        min: 0,
        targets: [
          { expr: `sum by (step) (${rate('boxoffice_sale_observation_errors_total')})`, legend: '{{step}}' },
        ],
      }),
    )
    .build();
}

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The operator's metrics: reconciles by result, their duration, queue depth, leadership. */
export function operatorMetrics(
  registry: Registry,
  state: { queueDepth: () => number; leading: () => boolean },
) {
  const reconciles = new Counter({
    name: 'boxoffice_operator_reconciles_total',
    help: 'Reconciles of TicketEvents by result (success, error: retried, terminal: waits for a change)',
    labelNames: ['result'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'boxoffice_operator_reconcile_duration_seconds',
    help: 'Duration of one TicketEvent reconcile',
    labelNames: ['result'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'boxoffice_operator_queue_depth',
    help: 'TicketEvent keys waiting for a reconcile',
    registers: [registry],
    collect() {
      this.set(state.queueDepth());
    },
  });
  new Gauge({
    name: 'boxoffice_operator_leader',
    help: '1 while this replica holds the leader lease',
    registers: [registry],
    collect() {
      this.set(state.leading() ? 1 : 0);
    },
  });
  return {
    observe(result: string, seconds: number): void {
      reconciles.inc({ result });
      duration.observe({ result }, seconds);
    },
  };
}

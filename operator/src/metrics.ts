import { ApiException } from '@kubernetes/client-node';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { PHASES } from './crd/schema.ts';
import { TerminalError, TerminalReason } from './errors.ts';
import type { TicketEvent } from './ticket-event.ts';

/** Why a reconcile failed, as a bounded label: a terminal reason, or the kind of dependency that failed. */
export const ReconcileErrorReason = {
  ...TerminalReason,
  /** The object moved on between read and write; the retry reads it afresh. */
  Conflict: 'Conflict',
  KubernetesApiError: 'KubernetesApiError',
  KafkaError: 'KafkaError',
  DatabaseError: 'DatabaseError',
  ConnectionError: 'ConnectionError',
  Unknown: 'Unknown',
} as const;

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  'EAI_AGAIN',
]);

export function reconcileErrorReason(error: unknown): string {
  if (error instanceof TerminalError) return error.reason;
  if (error instanceof ApiException)
    return error.code === 409 ? ReconcileErrorReason.Conflict : ReconcileErrorReason.KubernetesApiError;
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  if (typeof name === 'string' && name.startsWith('KafkaJS')) return ReconcileErrorReason.KafkaError;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return ReconcileErrorReason.ConnectionError;
  // node-postgres reports the server's SQLSTATE (five characters) in `code`.
  if (name === 'DatabaseError' || (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)))
    return ReconcileErrorReason.DatabaseError;
  return ReconcileErrorReason.Unknown;
}

const eventLabel = (event: TicketEvent): string => `${event.metadata.namespace}/${event.metadata.name}`;

/**
 * The operator's metrics: reconciles by result and their duration, errors by reason, queue depth,
 * leadership, and the TicketEvents it knows (by phase, and whether each is Ready). Only the leader
 * runs the controller, so only the leader reports TicketEvents.
 */
export function operatorMetrics(
  registry: Registry,
  state: { queueDepth: () => number; leading: () => boolean; ticketEvents?: () => readonly TicketEvent[] },
) {
  const reconciles = new Counter({
    name: 'boxoffice_operator_reconciles_total',
    help: 'Reconciles of TicketEvents by result (success, error: retried, terminal: waits for a change)',
    labelNames: ['result'],
    registers: [registry],
  });
  for (const result of ['success', 'error', 'terminal']) reconciles.inc({ result }, 0);
  const duration = new Histogram({
    name: 'boxoffice_operator_reconcile_duration_seconds',
    help: 'Duration of one TicketEvent reconcile',
    labelNames: ['result'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const steps = new Histogram({
    name: 'boxoffice_operator_reconcile_step_seconds',
    help: 'Duration of each step of a converging reconcile: provision (topic and shard rows), children (allocator Deployment and ScaledObject), counters (PostgreSQL), status (the status write)',
    labelNames: ['step'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'boxoffice_operator_reconcile_errors_total',
    help: 'Failed reconciles by reason: a terminal reason (CapacityBelowAllocated, …) or the failing dependency (KubernetesApiError, KafkaError, DatabaseError, ConnectionError, Conflict, Unknown)',
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of Object.values(ReconcileErrorReason)) errors.inc({ reason }, 0);
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
  const events = (): readonly TicketEvent[] => (state.leading() ? (state.ticketEvents?.() ?? []) : []);
  new Gauge({
    name: 'boxoffice_ticketevents',
    help: 'TicketEvents by status phase (reported by the leading replica; Unknown: no status yet)',
    labelNames: ['phase'],
    registers: [registry],
    collect() {
      this.reset();
      if (!state.leading()) return;
      const counts = new Map<string, number>([...PHASES, 'Unknown'].map((phase) => [phase, 0]));
      for (const event of events()) {
        const phase = event.status?.phase ?? 'Unknown';
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      for (const [phase, count] of counts) this.set({ phase }, count);
    },
  });
  new Gauge({
    name: 'boxoffice_ticketevent_ready',
    help: "1 while the TicketEvent's Ready condition is True, else 0 (event = namespace/name)",
    labelNames: ['event'],
    registers: [registry],
    collect() {
      this.reset();
      for (const event of events()) {
        const ready = event.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        this.set({ event: eventLabel(event) }, ready ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'boxoffice_ticketevent_phase',
    help: "1 for the TicketEvent's current status phase (one series per event)",
    labelNames: ['event', 'phase'],
    registers: [registry],
    collect() {
      this.reset();
      for (const event of events())
        this.set({ event: eventLabel(event), phase: event.status?.phase ?? 'Unknown' }, 1);
    },
  });
  return {
    observe(result: string, seconds: number): void {
      reconciles.inc({ result });
      duration.observe({ result }, seconds);
    },
    step(step: string, seconds: number): void {
      steps.observe({ step }, seconds);
    },
    failed(error: unknown): void {
      errors.inc({ reason: reconcileErrorReason(error) });
    },
  };
}

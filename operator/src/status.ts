import type { TicketTypeCounters } from '@boxoffice/store';
import { TerminalReason } from './errors.ts';
import type { Condition, Phase, TicketEvent, TicketEventStatus } from './ticket-event.ts';

/** Condition reasons are constants: alerts, tests and `kubectl wait` depend on them. */
export const Reason = {
  Provisioned: 'Provisioned',
  ProvisioningFailed: 'ProvisioningFailed',
  ...TerminalReason,
  /** A ticket type with held or sold tickets was removed from the spec: refused, the spec is not applied. */
  TicketTypeInUse: 'TicketTypeInUse',
  /** ScalerReady mirrors KEDA's own Ready condition on the ScaledObject (keda.ts `scaledObjectState`). */
  ScaledObjectReady: 'ScaledObjectReady',
  ScaledObjectNotReady: 'ScaledObjectNotReady',
  WaitingForKeda: 'WaitingForKeda',
  ApplyFailed: 'ApplyFailed',
  DeploymentAvailable: 'DeploymentAvailable',
  ScaledToZero: 'ScaledToZero',
  RollingOut: 'RollingOut',
  KedaNotInstalled: 'KedaNotInstalled',
  AllChildrenReady: 'AllChildrenReady',
  ChildrenNotReady: 'ChildrenNotReady',
} as const;

/** What the reconcile saw of one child (topic, inventory rows, allocator, scaler). */
export interface ChildState {
  ready: boolean;
  reason: string;
  message: string;
}

export interface Observed {
  now: Date;
  generation: number;
  topic: ChildState;
  inventory: ChildState;
  allocator: ChildState;
  scaler: ChildState;
  counters: TicketTypeCounters[];
}

const CHILD_CONDITIONS = ['TopicReady', 'InventoryReady', 'AllocatorReady', 'ScalerReady'] as const;

/**
 * Status from observed state: phase from the sale window, pause and sell-out; one condition per
 * child plus Ready. ScalerReady=False with KedaNotInstalled does not block Ready: the fixed-replica
 * fallback still sells.
 */
export function desiredStatus(event: TicketEvent, observed: Observed): TicketEventStatus {
  const children = {
    TopicReady: observed.topic,
    InventoryReady: observed.inventory,
    AllocatorReady: observed.allocator,
    ScalerReady: observed.scaler,
  };
  const blocking = CHILD_CONDITIONS.filter(
    (type) =>
      !children[type].ready && !(type === 'ScalerReady' && children[type].reason === Reason.KedaNotInstalled),
  );
  const ready = blocking.length === 0;
  const readyCondition: Condition = {
    type: 'Ready',
    status: ready ? 'True' : 'False',
    reason: ready ? Reason.AllChildrenReady : Reason.ChildrenNotReady,
    message: ready
      ? 'topic, inventory, allocator and scaler are in place'
      : `not ready: ${blocking.join(', ')}`,
  };
  const conditions: Condition[] = [
    readyCondition,
    ...CHILD_CONDITIONS.map((type): Condition => ({
      type,
      status: children[type].ready ? 'True' : 'False',
      reason: children[type].reason,
      message: children[type].message,
    })),
  ].map((c) => ({
    ...c,
    observedGeneration: observed.generation,
    lastTransitionTime: transitionTime(event.status?.conditions, c, observed.now),
  }));

  const totals = observed.counters.reduce(
    (sum, c) => ({
      capacity: sum.capacity + c.capacity,
      held: sum.held + c.held,
      sold: sum.sold + c.sold,
      remaining: sum.remaining + c.remaining,
    }),
    {
      capacity: 0,
      held: 0,
      sold: 0,
      remaining: 0,
    },
  );
  return {
    observedGeneration: observed.generation,
    phase: phase(event, observed, ready, totals),
    conditions,
    ...totals,
    ready: ready ? 'True' : 'False',
    ticketTypes: observed.counters.map((c) => ({
      name: c.ticketType,
      capacity: c.capacity,
      held: c.held,
      sold: c.sold,
      remaining: c.remaining,
    })),
  };
}

function phase(
  event: TicketEvent,
  observed: Observed,
  ready: boolean,
  totals: { capacity: number; remaining: number },
): Phase {
  if (
    !observed.inventory.ready &&
    observed.inventory.reason !== Reason.Provisioned &&
    observed.counters.length === 0
  )
    return 'Failed';
  if (!ready) return 'Provisioning';
  const now = observed.now.getTime();
  if (now >= Date.parse(event.spec.sales.closesAt)) return 'Closed';
  if (totals.capacity > 0 && totals.remaining === 0) return 'SoldOut';
  if (now < Date.parse(event.spec.sales.opensAt)) return 'Scheduled';
  return event.spec.paused ? 'Paused' : 'OnSale';
}

/** A condition keeps its transition time until its status changes. */
function transitionTime(previous: Condition[] | undefined, condition: Condition, now: Date): string {
  const before = previous?.find((c) => c.type === condition.type);
  return before && before.status === condition.status && before.lastTransitionTime
    ? before.lastTransitionTime
    : now.toISOString();
}

const HOUR_MS = 3_600_000;

/**
 * When to look again without any Kubernetes change: while the sale runs counters move in
 * PostgreSQL (resync keeps sold/remaining fresh), and the phase flips at opensAt and closesAt.
 * A closed event is left alone until it changes.
 */
export function requeueAfterMs(
  event: TicketEvent,
  status: TicketEventStatus,
  now: Date,
  resyncSeconds: number,
): number | undefined {
  const resync = resyncSeconds * 1_000;
  const untilOpen = Date.parse(event.spec.sales.opensAt) - now.getTime();
  const untilClose = Date.parse(event.spec.sales.closesAt) - now.getTime();
  switch (status.phase) {
    case 'Closed':
    case 'Failed':
      return undefined;
    case 'Scheduled':
      // Capped: timers beyond ~24 days overflow, and a clock jump is corrected within the hour.
      return Math.max(1, Math.min(untilOpen, HOUR_MS));
    default:
      return Math.max(1, Math.min(resync, untilClose > 0 ? untilClose : resync));
  }
}

/** Whether patching would change anything (so a no-op resync writes nothing). */
export function statusChanged(current: TicketEventStatus | undefined, next: TicketEventStatus): boolean {
  return JSON.stringify(normalize(current ?? {})) !== JSON.stringify(normalize(next));
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, normalize(v)]),
    );
  }
  return value;
}

import type { EventDefinition } from '@boxoffice/inventory';
import type { TicketEventSpec, TicketEventStatus } from './crd/schema.ts';

export const GROUP = 'boxoffice.dev';
export const VERSION = 'v1alpha1';
export const PLURAL = 'ticketevents';
export const FINALIZER = 'boxoffice.dev/inventory';
export const FIELD_MANAGER = 'boxoffice-operator';

export type { Condition, Phase, TicketEventSpec, TicketEventStatus } from './crd/schema.ts';

export interface TicketEvent {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    finalizers?: string[];
    deletionTimestamp?: string | Date;
  };
  spec: TicketEventSpec;
  status?: TicketEventStatus;
}

/** "10m", "90s", "1h30m" → seconds (the CRD's pattern guarantees the shape). */
export function durationSeconds(text: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match || text === '') throw new Error(`invalid duration ${text}`);
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

/** The purchase path's view of a TicketEvent (as read from the API server, defaults filled in). */
export function toEventDefinition(event: TicketEvent): EventDefinition {
  const { spec, metadata } = event;
  return {
    namespace: metadata.namespace,
    name: metadata.name,
    displayName: spec.displayName,
    venue: spec.venue ?? '',
    startsAt: new Date(spec.startsAt).toISOString(),
    sales: {
      opensAt: new Date(spec.sales.opensAt).toISOString(),
      closesAt: new Date(spec.sales.closesAt).toISOString(),
      perBuyerLimit: spec.sales.perBuyerLimit,
      holdTtlSeconds: durationSeconds(spec.sales.holdTtl),
    },
    ticketTypes: spec.ticketTypes.map((t) => ({
      name: t.name,
      priceMinor: t.price,
      currency: t.currency,
      capacity: t.capacity,
    })),
    shards: spec.shards,
    paused: spec.paused,
  };
}

import { platformLabels } from '@boxoffice/conventions';
import type { ApiObjectMetadata } from 'cdk8s';
import { FIELD_MANAGER, type TicketEvent } from '../ticket-event.ts';

/** Labels on every child; the local workload runner, dashboards and the operator's informers select on them. */
export function childLabels(event: TicketEvent): Record<string, string> {
  return {
    ...platformLabels({ name: 'boxoffice-allocator', component: 'allocator', managedBy: FIELD_MANAGER }),
    'boxoffice.dev/event': event.metadata.name,
  };
}

/** The label on children that names their TicketEvent (informers map a child back to its key). */
export const EVENT_LABEL = 'boxoffice.dev/event';

/**
 * Deployment and ScaledObject share the name, so `kubectl get deploy,scaledobject` pairs them. The
 * CRD caps event names at 63 characters (they are label values), so this never collides.
 */
export function allocatorName(event: TicketEvent): string {
  return `${event.metadata.name}-allocator`;
}

/** Children are owned by their event: garbage-collected with it, and their changes requeue it. */
export function childMetadata(event: TicketEvent): ApiObjectMetadata {
  return {
    name: allocatorName(event),
    namespace: event.metadata.namespace,
    labels: childLabels(event),
    ownerReferences: [
      {
        apiVersion: event.apiVersion,
        kind: event.kind,
        name: event.metadata.name,
        uid: event.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
}

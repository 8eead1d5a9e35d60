import { createHash } from 'node:crypto';
import { platformLabels } from '@boxoffice/conventions';
import type { ApiObjectMetadata } from 'cdk8s';
import { allocatorNamespace, type OperatorConfig } from '../config.ts';
import { FIELD_MANAGER, type TicketEvent } from '../ticket-event.ts';

/** A TicketEvent's identity: its namespace (the organizer) and name. */
export interface EventRef {
  namespace: string;
  name: string;
}

/**
 * The labels on every child that name its TicketEvent. Children live in the platform's namespace,
 * where an ownerReference to an event in another namespace is not allowed: these labels are how the
 * informers map a child back to its event, and how the finalizer and the orphan sweep find it.
 */
export const EVENT_NAMESPACE_LABEL = 'boxoffice.dev/event-namespace';
export const EVENT_NAME_LABEL = 'boxoffice.dev/event-name';

const MAX_NAME = 63;
const HASH_LENGTH = 10;

/**
 * Deployment and ScaledObject share the name, so `kubectl get deploy,scaledobject` pairs them. Events
 * of every namespace meet in one namespace, so the name carries both parts and a hash of
 * `namespace/name`: without it, `a-b`/`c` and `a`/`b-c` would collide, and so would long names cut to
 * fit. 63 characters at most (KEDA labels its HPA with the ScaledObject's name).
 */
export function allocatorName(event: EventRef): string {
  const hash = createHash('sha256')
    .update(`${event.namespace}/${event.name}`)
    .digest('hex')
    .slice(0, HASH_LENGTH);
  const readable = `alloc-${event.namespace}-${event.name}`
    .replaceAll('.', '-')
    .slice(0, MAX_NAME - HASH_LENGTH - 1)
    .replace(/-+$/, '');
  return `${readable}-${hash}`;
}

/** The labels that select one event's allocator pods (a Deployment's selector: never change them). */
export function selectorLabels(event: EventRef): Record<string, string> {
  return {
    'app.kubernetes.io/component': 'allocator',
    [EVENT_NAMESPACE_LABEL]: event.namespace,
    [EVENT_NAME_LABEL]: event.name,
  };
}

/** Labels on every child; the local workload runner, dashboards and the operator's informers select on them. */
export function childLabels(event: EventRef): Record<string, string> {
  return {
    ...platformLabels({ name: 'boxoffice-allocator', component: 'allocator', managedBy: FIELD_MANAGER }),
    ...selectorLabels(event),
  };
}

/** The event a child belongs to, from its labels; undefined for an object that is not an allocator child. */
export function eventOfChild(labels: Record<string, string> | undefined): EventRef | undefined {
  const namespace = labels?.[EVENT_NAMESPACE_LABEL];
  const name = labels?.[EVENT_NAME_LABEL];
  return namespace && name ? { namespace, name } : undefined;
}

/** Children live in the platform's namespace, away from organizers, labelled with their event. */
export function childMetadata(event: TicketEvent, config: OperatorConfig): ApiObjectMetadata {
  return {
    name: allocatorName(event.metadata),
    namespace: allocatorNamespace(config),
    labels: childLabels(event.metadata),
  };
}

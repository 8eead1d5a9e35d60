import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { deploymentState } from './children.ts';
import { scaledObjectState, type ScaledObjectStatus } from './keda.ts';
import { FINALIZER, type TicketEvent } from './ticket-event.ts';

/**
 * What of an object can change what a reconcile does. An informer reports every new
 * resourceVersion, and most are echoes of the operator's own writes (its status patches) or status
 * churn it does not read (a Deployment's replica counters between "rolling out" and "available"):
 * each would cost a reconcile, and at a thousand events those echoes, not the changes, fill the
 * queue. Adds and deletes always count; an update counts only when this signature changes.
 */
export type Signature = (object: KubernetesObject) => string;

/** The spec (generation) and deletion. */
export const ticketEventSignature: Signature = (object) => {
  const { metadata } = object as TicketEvent;
  return JSON.stringify([
    metadata.generation ?? 0,
    metadata.deletionTimestamp ? String(metadata.deletionTimestamp) : null,
  ]);
};

/** A live event without the finalizer (new, or someone removed it by hand) always needs a reconcile. */
export const lacksFinalizer = (object: KubernetesObject): boolean => {
  const { metadata } = object as TicketEvent;
  return !metadata.deletionTimestamp && !metadata.finalizers?.includes(FINALIZER);
};

/** Its spec (a hand edit or a scale: generation), and the readiness AllocatorReady reports. */
export const deploymentSignature: Signature = (object) =>
  JSON.stringify([object.metadata?.generation ?? 0, deploymentState(object as V1Deployment)]);

/** Its spec only. */
export const generationSignature: Signature = (object) => JSON.stringify([object.metadata?.generation ?? 0]);

/**
 * Its spec, and KEDA's verdict that ScalerReady (and so Ready) mirrors: whether its Ready condition
 * is there and true. KEDA's other status churn (active time, health counters) is not read. Without
 * the verdict an event became Ready only at its next resync, and at 1,000 events resyncs ran
 * minutes behind.
 */
export const scaledObjectSignature: Signature = (object) => {
  const state = scaledObjectState(object as ScaledObjectStatus, '');
  return JSON.stringify([object.metadata?.generation ?? 0, state.ready, state.reason]);
};

const keyOf = (object: KubernetesObject): string =>
  object.metadata?.uid ?? `${object.metadata?.namespace}/${object.metadata?.name}`;

/** The last signature seen per object (by uid), so an update can be compared with what came before. */
export class ChangeFilter {
  private readonly seen = new Map<string, string>();
  private readonly signature: Signature;
  private readonly always: (object: KubernetesObject) => boolean;

  constructor(signature: Signature, always: (object: KubernetesObject) => boolean = () => false) {
    this.signature = signature;
    this.always = always;
  }

  /** Whether this add or update can change a reconcile's outcome (and remembers it). */
  matters(object: KubernetesObject): boolean {
    const signature = this.signature(object);
    const changed = this.seen.get(keyOf(object)) !== signature;
    this.seen.set(keyOf(object), signature);
    return changed || this.always(object);
  }

  /**
   * A state a reconcile has already seen (the answer to its own apply): its echo from the watch is
   * not news. Only a later change is.
   */
  remember(object: KubernetesObject): void {
    this.seen.set(keyOf(object), this.signature(object));
  }

  forget(object: KubernetesObject): void {
    this.seen.delete(keyOf(object));
  }
}

import { describe, expect, it } from '@jest/globals';
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import {
  ChangeFilter,
  deploymentSignature,
  generationSignature,
  scaledObjectSignature,
  lacksFinalizer,
  ticketEventSignature,
} from './change-filter.ts';
import { FINALIZER, type TicketEvent } from './ticket-event.ts';

const ticketEvent = (metadata: Partial<TicketEvent['metadata']>, status?: object): KubernetesObject =>
  ({
    metadata: {
      name: 'gala',
      namespace: 'demo',
      uid: 'u1',
      generation: 1,
      finalizers: [FINALIZER],
      ...metadata,
    },
    status,
  }) as unknown as KubernetesObject;

const deployment = (generation: number, status: V1Deployment['status']): V1Deployment => ({
  metadata: { name: 'alloc', namespace: 'platform', uid: 'd1', generation },
  spec: { replicas: 1, selector: {}, template: {} },
  status,
});

describe('which watch updates queue a reconcile', () => {
  const events = () => new ChangeFilter(ticketEventSignature, lacksFinalizer);

  it("ignores the operator's own status writes to a TicketEvent, and counts a spec change", () => {
    const filter = events();
    expect(filter.matters(ticketEvent({ resourceVersion: '1' }))).toBe(true); // the add
    expect(filter.matters(ticketEvent({ resourceVersion: '2' }, { phase: 'OnSale' }))).toBe(false);
    expect(filter.matters(ticketEvent({ resourceVersion: '3', generation: 2 }, { phase: 'OnSale' }))).toBe(
      true,
    );
  });

  it('counts a deletion', () => {
    const filter = events();
    filter.matters(ticketEvent({}));
    expect(filter.matters(ticketEvent({ deletionTimestamp: '2026-12-01T00:00:00Z' }))).toBe(true);
  });

  it('always counts a live TicketEvent without the finalizer (new, or removed by hand), never its addition', () => {
    const filter = events();
    expect(filter.matters(ticketEvent({ finalizers: [] }))).toBe(true);
    expect(filter.matters(ticketEvent({ finalizers: [], resourceVersion: '2' }))).toBe(true);
    expect(filter.matters(ticketEvent({ resourceVersion: '3' }))).toBe(false); // the operator added it
    expect(filter.matters(ticketEvent({ finalizers: [], resourceVersion: '4' }))).toBe(true);
  });

  it('counts a Deployment becoming available, not its replica counters moving while it rolls out', () => {
    const filter = new ChangeFilter(deploymentSignature);
    const applied = deployment(1, {});
    filter.remember(applied); // the answer to the operator's own apply
    expect(filter.matters(applied)).toBe(false); // its watch echo
    expect(
      filter.matters(deployment(1, { observedGeneration: 1, replicas: 1, unavailableReplicas: 1 })),
    ).toBe(false);
    expect(filter.matters(deployment(1, { observedGeneration: 1, replicas: 1, availableReplicas: 1 }))).toBe(
      true,
    );
  });

  it('counts a hand edit of a child (its generation), not its status', () => {
    const filter = new ChangeFilter(generationSignature);
    const scaledObject = { metadata: { uid: 's1', generation: 1 } };
    expect(filter.matters(scaledObject)).toBe(true);
    expect(filter.matters({ ...scaledObject, status: { conditions: [] } } as object)).toBe(false);
    expect(filter.matters({ metadata: { uid: 's1', generation: 2 } })).toBe(true);
  });

  it("counts KEDA's Ready verdict on a ScaledObject (ScalerReady mirrors it), not its other status", () => {
    const filter = new ChangeFilter(scaledObjectSignature);
    const scaledObject = (status?: object) => ({ metadata: { uid: 's1', generation: 1 }, status }) as object;
    const ready = (value: string, extra: object = {}) =>
      scaledObject({ conditions: [{ type: 'Ready', status: value, reason: 'ScaledObjectReady' }], ...extra });
    expect(filter.matters(scaledObject())).toBe(true); // new
    expect(filter.matters(scaledObject({ conditions: [] }))).toBe(false); // still waiting for KEDA
    expect(filter.matters(ready('True'))).toBe(true); // KEDA says Ready: the event can be Ready
    expect(filter.matters(ready('True', { lastActiveTime: '2026-12-02T07:00:00Z' }))).toBe(false);
    expect(filter.matters(ready('False'))).toBe(true);
  });

  it('treats an object seen again after its deletion as new', () => {
    const filter = new ChangeFilter(generationSignature);
    const object = { metadata: { uid: 's1', generation: 1 } };
    filter.matters(object);
    filter.forget(object);
    expect(filter.matters(object)).toBe(true);
  });
});

import { describe, expect, it } from '@jest/globals';
import { sampleEvent } from './desired/fixtures.ts';
import { desiredStatus, Reason, requeueAfterMs, statusChanged, type Observed } from './status.ts';

const ok = { ready: true, reason: Reason.Provisioned, message: '' };
const counters = (capacity: number, held: number, sold: number) => [
  { ticketType: 'standard', capacity, held, sold, remaining: capacity - held - sold },
];
const observed = (overrides: Partial<Observed> = {}): Observed => ({
  now: new Date('2027-02-01T00:00:00Z'), // the sample event's sale runs 2027-01-01 .. 2027-04-18
  generation: 3,
  topic: ok,
  inventory: ok,
  allocator: { ready: true, reason: Reason.DeploymentAvailable, message: '1/1' },
  scaler: { ready: true, reason: Reason.ScaledObjectReady, message: '' },
  counters: counters(100, 5, 10),
  ...overrides,
});

describe('TicketEvent status', () => {
  it('is OnSale and Ready inside the sale window with every child ready', () => {
    const status = desiredStatus(sampleEvent(), observed());
    expect(status).toMatchObject({
      phase: 'OnSale',
      observedGeneration: 3,
      ready: 'True',
      capacity: 100,
      held: 5,
      sold: 10,
      remaining: 85,
      ticketTypes: [{ name: 'standard', capacity: 100, held: 5, sold: 10, remaining: 85 }],
    });
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', Reason.AllChildrenReady],
      ['TopicReady', 'True', Reason.Provisioned],
      ['InventoryReady', 'True', Reason.Provisioned],
      ['AllocatorReady', 'True', Reason.DeploymentAvailable],
      ['ScalerReady', 'True', Reason.ScaledObjectReady],
    ]);
  });

  it('follows the sale window: Scheduled before it opens, Closed after it closes', () => {
    expect(desiredStatus(sampleEvent(), observed({ now: new Date('2026-12-01T00:00:00Z') })).phase).toBe(
      'Scheduled',
    );
    expect(desiredStatus(sampleEvent(), observed({ now: new Date('2027-05-01T00:00:00Z') })).phase).toBe(
      'Closed',
    );
  });

  it('is Paused while paused, and SoldOut when nothing remains', () => {
    expect(desiredStatus(sampleEvent({ paused: true }), observed()).phase).toBe('Paused');
    expect(desiredStatus(sampleEvent(), observed({ counters: counters(100, 20, 80) })).phase).toBe('SoldOut');
  });

  it('is Provisioning and not Ready while a child is not ready, naming it', () => {
    const status = desiredStatus(
      sampleEvent(),
      observed({ allocator: { ready: false, reason: Reason.RollingOut, message: '0/1' } }),
    );
    expect(status.phase).toBe('Provisioning');
    expect(status.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'False',
      message: 'not ready: AllocatorReady',
    });
  });

  it('stays Ready without KEDA (the fixed-replica fallback sells) but says so in ScalerReady', () => {
    const status = desiredStatus(
      sampleEvent(),
      observed({ scaler: { ready: false, reason: Reason.KedaNotInstalled, message: '' } }),
    );
    expect(status.ready).toBe('True');
    expect(status.conditions?.find((c) => c.type === 'ScalerReady')).toMatchObject({
      status: 'False',
      reason: 'KedaNotInstalled',
    });
  });

  it('reports a refused capacity decrease on InventoryReady while the existing sale goes on', () => {
    const status = desiredStatus(
      sampleEvent(),
      observed({ inventory: { ready: false, reason: Reason.CapacityBelowAllocated, message: 'refused' } }),
    );
    expect(status.conditions?.find((c) => c.type === 'InventoryReady')).toMatchObject({
      status: 'False',
      reason: 'CapacityBelowAllocated',
    });
    expect(status.phase).toBe('Provisioning');
  });

  it('keeps lastTransitionTime of a condition whose status did not change', () => {
    const first = desiredStatus(sampleEvent(), observed());
    const later = desiredStatus(
      { ...sampleEvent(), status: first },
      observed({ now: new Date('2027-02-02T00:00:00Z') }),
    );
    expect(later.conditions?.map((c) => c.lastTransitionTime)).toEqual(
      first.conditions?.map((c) => c.lastTransitionTime),
    );
    expect(statusChanged(first, later)).toBe(false);
  });

  it('counts as changed only when a value differs, not when keys are ordered differently', () => {
    const status = desiredStatus(sampleEvent(), observed());
    const reordered = Object.fromEntries(Object.entries(status).reverse()) as typeof status;
    expect(statusChanged(reordered, status)).toBe(false);
    expect(
      statusChanged(status, desiredStatus(sampleEvent(), observed({ counters: counters(100, 5, 11) }))),
    ).toBe(true);
    expect(statusChanged(undefined, status)).toBe(true);
  });
});

describe('when to reconcile again without a change', () => {
  const at = (iso: string) => new Date(iso);
  it('resyncs periodically while on sale, so sold and remaining stay fresh', () => {
    expect(requeueAfterMs(sampleEvent(), { phase: 'OnSale' }, at('2027-02-01T00:00:00Z'), 30)).toBe(30_000);
    expect(requeueAfterMs(sampleEvent(), { phase: 'SoldOut' }, at('2027-02-01T00:00:00Z'), 30)).toBe(30_000);
  });

  it('wakes up when the sale opens and when it closes', () => {
    expect(requeueAfterMs(sampleEvent(), { phase: 'Scheduled' }, at('2027-01-01T08:59:00Z'), 30)).toBe(
      60_000,
    );
    expect(requeueAfterMs(sampleEvent(), { phase: 'OnSale' }, at('2027-04-18T17:59:50Z'), 30)).toBe(10_000);
  });

  it('leaves a closed event alone', () => {
    expect(
      requeueAfterMs(sampleEvent(), { phase: 'Closed' }, at('2027-05-01T00:00:00Z'), 30),
    ).toBeUndefined();
  });
});

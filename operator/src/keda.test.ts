import { describe, expect, it } from '@jest/globals';
import { scaledObjectState } from './keda.ts';
import { Reason } from './status.ts';

const scaledObject = (ready?: { status: string; reason?: string; message?: string }) => ({
  metadata: { name: 'gala-allocator' },
  status: {
    conditions: ready
      ? [
          { type: 'Active', status: 'False' },
          { type: 'Ready', ...ready },
        ]
      : [],
  },
});

describe('ScalerReady from KEDA', () => {
  it("is ready when KEDA's own Ready condition is True", () => {
    expect(scaledObjectState(scaledObject({ status: 'True', reason: 'ScaledObjectReady' }), '0..3')).toEqual({
      ready: true,
      reason: Reason.ScaledObjectReady,
      message: 'gala-allocator: KEDA scales on consumer lag, 0..3 replicas',
    });
  });

  it("is not ready, with KEDA's reason and message, when its trigger fails", () => {
    const state = scaledObjectState(
      scaledObject({
        status: 'False',
        reason: 'TriggerError',
        message: 'Triggers defined in ScaledObject are not working correctly',
      }),
      '0..3',
    );
    expect(state).toEqual({
      ready: false,
      reason: Reason.ScaledObjectNotReady,
      message:
        'gala-allocator: KEDA reports TriggerError: Triggers defined in ScaledObject are not working correctly',
    });
  });

  it('waits for KEDA while it has not reported, or reports Unknown', () => {
    expect(scaledObjectState(scaledObject(), '1..3')).toMatchObject({
      ready: false,
      reason: Reason.WaitingForKeda,
    });
    expect(scaledObjectState({ metadata: { name: 'x' } }, '1..3')).toMatchObject({
      ready: false,
      reason: Reason.WaitingForKeda,
    });
    expect(
      scaledObjectState(
        scaledObject({ status: 'Unknown', message: 'Some triggers are not working' }),
        '1..3',
      ),
    ).toEqual({
      ready: false,
      reason: Reason.WaitingForKeda,
      message: 'gala-allocator: KEDA has not reported it Ready yet (Some triggers are not working)',
    });
  });
});

import { describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { TerminalError, TerminalReason } from './errors.ts';
import { reconcileErrorReason } from './metrics.ts';

describe('the reason a failed reconcile is counted under', () => {
  it('is the terminal reason of a refusal', () => {
    const error = new TerminalError(TerminalReason.CapacityBelowAllocated, 'capacity below sold');
    expect(reconcileErrorReason(error)).toBe('CapacityBelowAllocated');
  });

  it('is the failing part for retried errors, from a small fixed set', () => {
    expect(reconcileErrorReason(new ApiException(409, 'conflict', '{}', {}))).toBe('Conflict');
    expect(reconcileErrorReason(new ApiException(500, 'boom', '{}', {}))).toBe('KubernetesApiError');
    expect(reconcileErrorReason(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }))).toBe(
      'KafkaError',
    );
    expect(reconcileErrorReason(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(
      'ConnectionError',
    );
    expect(reconcileErrorReason(Object.assign(new Error('x'), { code: '40001' }))).toBe('DatabaseError');
    expect(reconcileErrorReason(new Error('something else'))).toBe('Unknown');
    expect(reconcileErrorReason('not even an error')).toBe('Unknown');
  });
});

import { describe, expect, it } from '@jest/globals';
import { RefusedByStoreError, TransientStoreError } from '@boxoffice/store';
import { retryTransient } from './retry.ts';

/** Fails with the given errors in turn, then returns 'done'. */
function failing(...errors: Error[]) {
  let calls = 0;
  return {
    operation: async () => {
      const error = errors[calls++];
      if (error) throw error;
      return 'done';
    },
    calls: () => calls,
  };
}

describe('retryTransient', () => {
  it('retries transient failures with doubling, capped delays until the operation succeeds', async () => {
    const op = failing(...Array.from({ length: 5 }, () => new TransientStoreError('connection refused')));
    const waits: number[] = [];
    const result = await retryTransient(op.operation, {
      initialMs: 1,
      maxMs: 4,
      beforeRetry: async (_error, attempt, delayMs) => void waits.push(attempt * 100 + delayMs),
    });
    expect(result).toBe('done');
    expect(op.calls()).toBe(6);
    expect(waits).toEqual([101, 202, 304, 404, 504]);
  });

  it('does not retry a refusal: the commands, not the database, are the problem', async () => {
    const op = failing(new RefusedByStoreError('23503: foreign key', '23503'));
    const retried: number[] = [];
    await expect(
      retryTransient(op.operation, {
        initialMs: 1,
        maxMs: 1,
        beforeRetry: async (_e, n) => void retried.push(n),
      }),
    ).rejects.toBeInstanceOf(RefusedByStoreError);
    expect(op.calls()).toBe(1);
    expect(retried).toEqual([]);
  });

  it('gives up with the error beforeRetry throws (the partition is no longer ours)', async () => {
    const op = failing(new TransientStoreError('down'), new TransientStoreError('down'));
    await expect(
      retryTransient(op.operation, {
        initialMs: 1,
        maxMs: 1,
        beforeRetry: async () => {
          throw new Error('revoked');
        },
      }),
    ).rejects.toThrow('revoked');
    expect(op.calls()).toBe(1);
  });
});

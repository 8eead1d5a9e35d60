import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { classifyStoreError, RefusedByStoreError, TransientStoreError } from './store-failures.ts';

/** An error as node-postgres reports a server's ErrorResponse. */
function serverError(code: string, message = 'server says no'): pg.DatabaseError {
  const error = new pg.DatabaseError(message, 0, 'error');
  error.code = code;
  return error;
}

describe('classifyStoreError', () => {
  it.each([
    ['22021', 'invalid byte sequence (text PostgreSQL cannot store)'],
    ['22003', 'numeric value out of range'],
    ['23503', 'foreign key violation'],
    ['23505', 'unique violation'],
    ['23514', 'check violation'],
  ])('blames the commands for SQLSTATE %s (%s)', (code) => {
    const classified = classifyStoreError(serverError(code));
    expect(classified).toBeInstanceOf(RefusedByStoreError);
    expect(classified).toMatchObject({
      sqlState: code,
      retryable: false,
      message: `${code}: server says no`,
    });
  });

  it.each([
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock detected'],
    ['08006', 'connection failure'],
    ['53300', 'too many connections'],
    ['57P01', 'terminating connection due to administrator command'],
    ['57P03', 'the database system is starting up'],
    ['57014', 'statement timeout'],
    ['55P03', 'lock not available'],
    ['55000', 'database is not accepting connections'],
    ['42P01', 'undefined table (a migration has not run)'],
    ['XX000', 'internal error'],
  ])('retries SQLSTATE %s (%s) without blaming a command', (code) => {
    const classified = classifyStoreError(serverError(code));
    expect(classified).toBeInstanceOf(TransientStoreError);
    expect(classified.retryable).toBe(true);
  });

  it('retries failures that never reached a server: refused, dropped or timed-out connections', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    for (const error of [refused, new Error('Connection terminated unexpectedly'), 'timeout'])
      expect(classifyStoreError(error)).toBeInstanceOf(TransientStoreError);
  });

  it('keeps the original error as the cause and an already classified error as it is', () => {
    const original = serverError('23505');
    expect(classifyStoreError(original).cause).toBe(original);
    const transient = new TransientStoreError('down');
    expect(classifyStoreError(transient)).toBe(transient);
  });
});

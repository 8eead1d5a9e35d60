import pg from 'pg';

/**
 * The retry policy of shard writes, in types. A write fails either because of the database's
 * state (unreachable, restarting, out of connections, a serialization failure or deadlock, a lock
 * or statement timeout, even a missing table): the same commands may succeed later, so they are
 * retried as they are and none is blamed; or because the database refused what the commands ask
 * (a data exception or a violated constraint): the same commands fail the same way every time, so
 * the writer isolates the ones that cause it instead of stalling its shard on them.
 */
export class TransientStoreError extends Error {
  override name = 'TransientStoreError';
  readonly retryable = true;
}

export class RefusedByStoreError extends Error {
  override name = 'RefusedByStoreError';
  readonly retryable = false;
  /** The PostgreSQL error code (SQLSTATE), e.g. 23503 for a foreign key violation. */
  readonly sqlState: string;

  constructor(message: string, sqlState: string, options?: { cause?: unknown }) {
    super(message, options);
    this.sqlState = sqlState;
  }
}

/**
 * An order the batch would write has an id already taken by a row it must not overwrite: what a
 * plain INSERT would report as a unique violation (23505) on the primary key, so it is a refusal
 * like that one. Found by the store itself, since an upsert skips such a row silently.
 */
export function orderIdTaken(message: string): RefusedByStoreError {
  return new RefusedByStoreError(`23505: ${message}`, '23505');
}

/**
 * SQLSTATE classes that depend only on the statement's data: 22 data exception (a value out of
 * range, text PostgreSQL cannot store), 23 integrity constraint violation. Every other class is
 * about the server, the connection or the transaction, and so is every error without a SQLSTATE
 * (a refused or dropped connection, a pool timeout).
 */
const REFUSING_CLASSES = new Set(['22', '23']);

export function classifyStoreError(error: unknown): TransientStoreError | RefusedByStoreError {
  if (error instanceof TransientStoreError || error instanceof RefusedByStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof pg.DatabaseError && error.code && REFUSING_CLASSES.has(error.code.slice(0, 2)))
    return new RefusedByStoreError(`${error.code}: ${message}`, error.code, { cause: error });
  const code = error instanceof pg.DatabaseError ? `${error.code}: ` : '';
  return new TransientStoreError(`${code}${message}`, { cause: error });
}

/** Runs one store operation and reports its failure as one of the two kinds above. */
export async function classified<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw classifyStoreError(error);
  }
}

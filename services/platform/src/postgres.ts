import pg from 'pg';

// bigint counts (sum, count) arrive as strings; they stay strings and are converted where read.
/**
 * `idleInTransactionTimeoutMs`: PostgreSQL ends a session of this pool that sits inside a
 * transaction doing nothing for longer (its locks are released, its transaction rolled back).
 */
export function createPool(
  databaseUrl: string,
  max = 10,
  options: { idleInTransactionTimeoutMs?: number } = {},
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    connectionTimeoutMillis: 5_000,
    ...(options.idleInTransactionTimeoutMs
      ? { idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs }
      : {}),
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

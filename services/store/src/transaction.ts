import type pg from 'pg';

/** Runs `work` in one transaction on a pooled client: commit on success, rollback on any error. */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // The pool stops listening for errors of a client it hands out: a connection the server drops
  // mid-transaction (a restart, an administrator's terminate) would be an uncaught 'error' and end
  // the process. The failure reaches the caller through the pending query instead.
  const ignore = (): void => undefined;
  client.on('error', ignore);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', ignore);
    client.release();
  }
}

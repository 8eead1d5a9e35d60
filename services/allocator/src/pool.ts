import { createPool } from '@boxoffice/platform/postgres';
import type pg from 'pg';
import type { AllocatorConfig } from './config.ts';

/** The allocator's PostgreSQL pool: one client per partition processed in parallel, two spare. */
export function allocatorPool(
  config: Pick<
    AllocatorConfig,
    'DATABASE_URL' | 'PARTITIONS_CONCURRENTLY' | 'IDLE_IN_TRANSACTION_TIMEOUT_MS'
  >,
): pg.Pool {
  return createPool(config.DATABASE_URL, config.PARTITIONS_CONCURRENTLY + 2, {
    idleInTransactionTimeoutMs: config.IDLE_IN_TRANSACTION_TIMEOUT_MS,
  });
}

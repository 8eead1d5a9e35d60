import { setTimeout as sleep } from 'node:timers/promises';
import { TransientStoreError } from '@boxoffice/store';

export interface RetryOptions {
  /** The first retry waits `initialMs`, each next one twice as long, never more than `maxMs`. */
  initialMs: number;
  maxMs: number;
  /**
   * Called before each wait. It keeps the consumer's group membership alive (heartbeat) and throws
   * to give up when waiting makes no sense any more (the partition was revoked, the consumer stops).
   */
  beforeRetry: (error: TransientStoreError, attempt: number, delayMs: number) => Promise<void>;
}

/**
 * Runs a store operation until it succeeds. Only a `TransientStoreError` is retried, with capped
 * exponential backoff and without limit: PostgreSQL being down must delay the shard, never decide
 * the commands' fate. Any other failure (the database refusing the commands) is the caller's.
 */
export async function retryTransient<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof TransientStoreError)) throw error;
      const delayMs = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt - 1, 20));
      await options.beforeRetry(error, attempt, delayMs);
      await sleep(delayMs);
    }
  }
}

import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Retries `check` until it stops throwing (an assertion passes) or the timeout expires, then
 * rethrows the last failure. For state that converges asynchronously (rollouts, consumers).
 */
export async function eventually<T>(
  check: () => Promise<T> | T,
  { timeoutMs = 30_000, intervalMs = 200 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(intervalMs);
    }
  }
}

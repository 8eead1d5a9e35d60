import { describe, expect, it } from '@jest/globals';
import { readEnvFile } from '../scripts/deps/env-file.ts';
import { envFile } from '../scripts/deps/paths.ts';
import { runFlashSale } from './flash-sale.ts';

describe('the k6 flash sale (real purchase path: purchase-api, Kafka, allocators, PostgreSQL)', () => {
  it('sells 2,000 tickets to 10,000 requests exactly, with no 5xx and every k6 threshold met', async () => {
    const result = await runFlashSale({
      settings: readEnvFile(envFile),
      capacity: 2_000,
      requests: 10_000,
      buyers: 3_000,
      shards: 4,
      allocators: 2,
    });
    console.log(
      `flash sale (k6):\n${result.k6Summary}\nanswers: ${JSON.stringify(result.answers)}; logs: ${result.logDir}`,
    );
    // With what k6 saw beside them, so that a failure read from CI's log alone says what happened.
    expect({ violations: result.violations, answers: result.answers }).toEqual({
      violations: [],
      answers: expect.any(Object),
    });
    expect(result.counters).toEqual({
      ticketType: 'standard',
      capacity: 2_000,
      held: 2_000,
      sold: 0,
      remaining: 0,
    });
    // Every request got an answer the buyer can act on: a hold (at once or after polling) or sold out.
    const { held, pendingHeld, pendingRejected, soldOut } = result.answers;
    expect(held + pendingHeld + pendingRejected + soldOut).toBe(10_000);
    expect(held + pendingHeld).toBe(2_000);
    expect(result.k6ExitCode).toBe(0);
  }, 300_000);
});

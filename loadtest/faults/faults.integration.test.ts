import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readEnvFile } from '../../scripts/deps/env-file.ts';
import { envFile } from '../../scripts/deps/paths.ts';
import { allocatorKillBetweenCommits, redisKill, slowPostgres } from './matrix.ts';
import { runFault, type FaultRun, type SaleLoad } from './sale.ts';
import { FaultableRedis } from './servers.ts';

/**
 * The short version of `npm run faults`: three faults of the matrix under a smaller k6 load, on the
 * shared PostgreSQL and Kafka (these faults do not stop them) and a Redis of this suite's own (it
 * is killed). Each must pass the invariant audit, answer no request with a 5xx, and show the fault
 * really happened.
 */
describe('faults under load (real platform, k6, invariant audit)', () => {
  const short: Partial<SaleLoad> = { rate: 40, seconds: 25, capacity: 700, buyers: 600, injectAfterSeconds: 5 };
  let redis: FaultableRedis;
  let world: Parameters<typeof runFault>[1];
  beforeAll(async () => {
    redis = await FaultableRedis.start();
    world = {
      settings: { ...readEnvFile(envFile), REDIS_URL: redis.url },
      servers: { redis },
      logDir: mkdtempSync(join(tmpdir(), 'boxoffice-faults-')),
    };
  });
  afterAll(async () => redis?.remove());

  const errors = (run: FaultRun): Record<string, number> =>
    Object.fromEntries(Object.entries(run.answers).filter(([status]) => Number(status) === 0 || Number(status) >= 500));

  it('an allocator killed between its PostgreSQL commit and its offset commit: the batch is redelivered, applied once', async () => {
    const run = await runFault(allocatorKillBetweenCommits, world, short);
    console.log(JSON.stringify(run, null, 2));
    expect(run.audit.violations).toEqual([]);
    expect(run.notes).toContain('the victim ended by SIGKILL');
    expect(errors(run)).toEqual({});
  }, 240_000);

  it('Redis killed and restarted empty: every order still ends, nothing answered 5xx', async () => {
    const run = await runFault(redisKill, world, short);
    console.log(JSON.stringify(run, null, 2));
    expect(run.audit.violations).toEqual([]);
    expect(errors(run)).toEqual({});
    expect(run.secondsUntilServed).not.toBeNull();
  }, 240_000);

  it('a shard row locked for seconds: the buyers of that shard wait (202s) and every order ends, none applied twice', async () => {
    const run = await runFault(slowPostgres, world, short);
    console.log(JSON.stringify(run, null, 2));
    expect(run.audit.violations).toEqual([]);
    expect(errors(run)).toEqual({});
    expect(run.longestShardStallSeconds).toBeGreaterThanOrEqual(7);
  }, 240_000);
});

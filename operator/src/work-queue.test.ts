import { describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { TerminalError } from './errors.ts';
import { WorkQueue } from './work-queue.ts';

const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(5);
  expect(condition()).toBe(true);
};

describe('the work queue', () => {
  it('runs a key added many times while queued only once', async () => {
    const runs: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = new WorkQueue({
      concurrency: 1,
      reconcile: async (key) => {
        runs.push(key);
        if (key === 'ns/blocker') await gate;
      },
    });
    queue.add('ns/blocker');
    for (let i = 0; i < 5; i++) queue.add('ns/a');
    expect(queue.depth()).toBe(1);
    release();
    await until(() => runs.length === 2);
    await sleep(20);
    expect(runs).toEqual(['ns/blocker', 'ns/a']);
    await queue.stop();
  });

  it('never runs one key in two reconciles at once, and reruns a key added while it ran', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    let runs = 0;
    const queue = new WorkQueue({
      concurrency: 4,
      reconcile: async () => {
        runs++;
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await sleep(20);
        concurrent--;
      },
    });
    queue.add('ns/a');
    await sleep(5);
    queue.add('ns/a');
    queue.add('ns/a');
    await until(() => runs === 2 && concurrent === 0);
    await sleep(40);
    expect({ runs, maxConcurrent }).toEqual({ runs: 2, maxConcurrent: 1 });
    await queue.stop();
  });

  it('runs different keys in parallel up to the concurrency', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    const queue = new WorkQueue({
      concurrency: 2,
      reconcile: async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await sleep(20);
        concurrent--;
      },
    });
    for (const key of ['a', 'b', 'c', 'd']) queue.add(`ns/${key}`);
    await until(() => concurrent === 0 && queue.depth() === 0);
    await sleep(30);
    expect(maxConcurrent).toBe(2);
    await queue.stop();
  });

  it('retries a failing key with growing backoff until it succeeds', async () => {
    const attempts: number[] = [];
    const retries: (number | undefined)[] = [];
    const queue = new WorkQueue({
      concurrency: 1,
      backoff: { baseMs: 10, maxMs: 1_000 },
      reconcile: async () => {
        attempts.push(Date.now());
        if (attempts.length < 4) throw new Error('broker down');
      },
      onError: (_key, _error, retryInMs) => retries.push(retryInMs),
    });
    queue.add('ns/a');
    await until(() => attempts.length === 4);
    expect(retries).toEqual([10, 20, 40]);
    await queue.stop();
  });

  it('does not retry a terminal error until the key is added again', async () => {
    let runs = 0;
    const results: string[] = [];
    const queue = new WorkQueue({
      concurrency: 1,
      backoff: { baseMs: 5, maxMs: 5 },
      reconcile: async () => {
        runs++;
        throw new TerminalError('CapacityBelowAllocated', 'capacity below held + sold');
      },
      onResult: (_key, result) => results.push(result),
    });
    queue.add('ns/a');
    await sleep(50);
    expect(runs).toBe(1);
    queue.add('ns/a');
    await until(() => runs === 2);
    expect(results).toEqual(['terminal', 'terminal']);
    await queue.stop();
  });

  it('requeues a key after the delay a reconcile asks for (periodic resync)', async () => {
    let runs = 0;
    const queue = new WorkQueue({
      concurrency: 1,
      reconcile: async () => (++runs < 3 ? { requeueAfterMs: 10 } : undefined),
    });
    queue.add('ns/a');
    await until(() => runs === 3);
    await sleep(40);
    expect(runs).toBe(3);
    await queue.stop();
  });

  it('runs changes before waiting resyncs, and a change to a key waiting for its resync goes ahead', async () => {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = new WorkQueue({
      concurrency: 1,
      reconcile: async (key) => {
        order.push(key);
        if (key === 'ns/blocker') await gate;
      },
    });
    queue.add('ns/blocker'); // holds the only slot while the others queue up
    await until(() => order.length === 1);
    queue.add('ns/r1', 'resync');
    queue.add('ns/r2', 'resync');
    queue.add('ns/c1');
    queue.add('ns/r2'); // a change arrives for a key waiting for its resync
    release();
    await until(() => order.length === 4);
    expect(order).toEqual(['ns/blocker', 'ns/c1', 'ns/r2', 'ns/r1']);
    await queue.stop();
  });

  it('rate-limits reconcile starts over all keys', async () => {
    const started: number[] = [];
    const queue = new WorkQueue({
      concurrency: 8,
      ratePerSecond: 50,
      burst: 2,
      reconcile: async () => void started.push(performance.now()),
    });
    for (const key of ['a', 'b', 'c', 'd', 'e']) queue.add(`ns/${key}`);
    await until(() => started.length === 5);
    // Two in the burst, then one per 20 ms: the fifth starts no sooner than ~60 ms after the first.
    expect(started[4]! - started[0]!).toBeGreaterThanOrEqual(55);
    await queue.stop();
  });

  it('waits for running reconciles on stop and takes no more work', async () => {
    let finished = false;
    let runs = 0;
    const queue = new WorkQueue({
      concurrency: 1,
      reconcile: async () => {
        runs++;
        await sleep(30);
        finished = true;
      },
    });
    queue.add('ns/a');
    await sleep(5);
    await queue.stop();
    expect(finished).toBe(true);
    queue.add('ns/b');
    await sleep(20);
    expect(runs).toBe(1);
  });
});

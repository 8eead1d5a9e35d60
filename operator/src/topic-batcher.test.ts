import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import type { WantedTopic } from '@boxoffice/store';
import type { Admin } from 'kafkajs';
import { topicBatcher } from './topic-batcher.ts';

const admin = {} as Admin;

describe('the topic batcher', () => {
  it('sends a lone request at once, and what arrives while a batch is out as the next batch', async () => {
    const batches: string[][] = [];
    const batcher = topicBatcher(admin, async (_admin, wanted: WantedTopic[]) => {
      batches.push(wanted.map((w) => w.topic));
      await sleep(30);
    });
    const first = batcher.ensure('t0', 3);
    await sleep(5); // t0's batch is with the brokers
    const rest = ['t1', 't2', 't3'].map((topic) => batcher.ensure(topic, 3));
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([['t0'], ['t1', 't2', 't3']]);
  });

  it('fails every caller of a failed batch, and the next batch goes on', async () => {
    let calls = 0;
    const batcher = topicBatcher(admin, async () => {
      calls++;
      if (calls === 1) throw new Error('broker away');
    });
    const failed = await Promise.allSettled([batcher.ensure('a', 1), batcher.ensure('b', 1)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(batcher.ensure('c', 1)).resolves.toBeUndefined();
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { availabilityCache } from '@boxoffice/platform/availability-cache';
import { createRedis } from '@boxoffice/platform/redis';
import { eventKeyString, type CatalogEvent } from '@boxoffice/store';
import { dependencies, eventually, uniqueName } from '@boxoffice/testkit';
import type { Redis } from 'ioredis';
import { AvailabilityView } from '../src/availability-view.ts';

describe('AvailabilityView (real Redis pub/sub)', () => {
  let redis: Redis;
  const prefix = `${uniqueName('av')}:`;
  const event = { namespace: uniqueName('av'), name: 'show', shards: 2 } as CatalogEvent;
  const key = eventKeyString(event);

  beforeAll(() => {
    redis = createRedis(dependencies().redisUrl, { name: 'test' });
  });
  afterAll(() => redis.disconnect());

  function view(maxAgeMs: number) {
    const cache = availabilityCache(redis, prefix);
    const loads: number[] = [];
    const availabilityView = new AvailabilityView(redis, {
      channel: cache.channel,
      load: async () => {
        loads.push(Date.now());
        return new Map([['standard', [5, 5]]]);
      },
      maxAgeMs,
    });
    return { cache, loads, availabilityView };
  }

  it('loads an event once, then follows the allocators’ messages without reading again', async () => {
    const { cache, loads, availabilityView } = view(60_000);
    try {
      const concurrent = await Promise.all([
        availabilityView.current(event),
        availabilityView.current(event),
      ]);
      expect(concurrent[0]!.get('standard')).toEqual([5, 5]);
      expect(loads).toHaveLength(1); // concurrent first requests share one load

      await cache.writeShard(key, 1, new Map([['standard', 0]]));
      await eventually(async () =>
        expect((await availabilityView.current(event)).get('standard')).toEqual([5, 0]),
      );
      await cache.writeShard(key, 0, new Map([['standard', 2]]));
      await eventually(async () =>
        expect((await availabilityView.current(event)).get('standard')).toEqual([2, 0]),
      );
      expect(loads).toHaveLength(1);

      // A message that is not an availability change is ignored, not applied or thrown.
      await redis.publish(cache.channel(key), 'not json');
      await redis.publish(cache.channel(key), JSON.stringify({ shard: 'x', remaining: 3 }));
      await sleep(100);
      expect((await availabilityView.current(event)).get('standard')).toEqual([2, 0]);
    } finally {
      availabilityView.stop();
    }
  });

  it('reloads after maxAgeMs, serving the figures it has while the reload runs', async () => {
    const { loads, availabilityView } = view(200);
    try {
      await availabilityView.current(event);
      expect(loads).toHaveLength(1);
      await sleep(300);
      expect((await availabilityView.current(event)).get('standard')).toEqual([5, 5]);
      await eventually(() => expect(loads).toHaveLength(2));
    } finally {
      availabilityView.stop();
    }
  });
});

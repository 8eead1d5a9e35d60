import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DedicatedRedis, eventually, uniqueName } from '@boxoffice/testkit';
import { Redis } from 'ioredis';
import { createRedis } from './redis.ts';
import { RedisSubscriber } from './redis-subscriber.ts';

/** Clients and the shared subscriber across a real Redis process that is stopped and started again. */
describe('Redis clients through an outage (a dedicated redis-server)', () => {
  let server: DedicatedRedis;
  beforeAll(async () => {
    server = await DedicatedRedis.start('platform-redis-outage');
  });
  afterAll(async () => {
    await server.stop();
  });

  const publish = async (channel: string, message: string): Promise<number> => {
    const publisher = new Redis(server.url, { maxRetriesPerRequest: 0 });
    try {
      return await publisher.publish(channel, message);
    } finally {
      publisher.disconnect();
    }
  };

  it('queues commands only until the first connection, then fails fast while Redis is down, and recovers', async () => {
    const redis = createRedis(server.url, { name: uniqueName('client') });
    try {
      // Issued before the connection exists: waits for it instead of failing.
      expect(await redis.set('k', 'v')).toBe('OK');
      await server.stop();
      await eventually(() => expect(redis.status).not.toBe('ready'));
      // Well into the outage, when reconnection attempts are seconds apart, still no command waits.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        await expect(redis.get('k')).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(100);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      await server.start();
      await eventually(async () => expect(await redis.ping()).toBe('PONG'), { timeoutMs: 10_000 });
    } finally {
      redis.disconnect();
    }
  });

  it('keeps one subscription per channel for many listeners, and subscribes again after an outage', async () => {
    const redis = createRedis(server.url, { name: uniqueName('client') });
    const subscriber = new RedisSubscriber(redis);
    const channel = uniqueName('channel');
    const received: string[][] = [[], [], []];
    let resubscribed = 0;
    try {
      const subscriptions = received.map((messages) =>
        subscriber.listen(channel, {
          message: (message) => messages.push(message),
          resubscribed: () => (resubscribed += 1),
        }),
      );
      expect(await Promise.all(subscriptions.map((s) => s.confirmed))).toEqual([true, true, true]);
      expect(await publish(channel, 'one')).toBe(1); // one subscribed connection, three listeners
      await eventually(() => expect(received).toEqual([['one'], ['one'], ['one']]));

      await server.stop();
      await eventually(() => expect(subscriber.isSubscribed(channel)).toBe(false));
      // While Redis is down, a new listener learns it at once instead of waiting for the outage to end.
      const late: string[] = [];
      const lateSubscription = subscriber.listen(channel, { message: (message) => late.push(message) });
      expect(await lateSubscription.confirmed).toBe(false);

      await server.start();
      await eventually(() => expect(subscriber.isSubscribed(channel)).toBe(true), { timeoutMs: 10_000 });
      expect(resubscribed).toBe(3);
      expect(await publish(channel, 'two')).toBe(1);
      await eventually(() => expect(late).toEqual(['two']));
      expect(received.map((messages) => messages.at(-1))).toEqual(['two', 'two', 'two']);

      for (const subscription of [...subscriptions, lateSubscription]) subscription.close();
      await eventually(async () => expect(await publish(channel, 'three')).toBe(0));
    } finally {
      subscriber.stop();
      redis.disconnect();
    }
  });

  it('unsubscribes a channel whose listener left before Redis confirmed it', async () => {
    const redis = createRedis(server.url, { name: uniqueName('client') });
    const subscriber = new RedisSubscriber(redis);
    const channel = uniqueName('channel');
    try {
      await subscriber.listen(uniqueName('warm-up'), { message: () => undefined }).confirmed;
      const leaving = subscriber.listen(channel, { message: () => undefined });
      leaving.close(); // the SUBSCRIBE is on the wire; the UNSUBSCRIBE follows it
      expect(await leaving.confirmed).toBe(false);
      const probe = new Redis(server.url);
      try {
        await eventually(async () => expect(await probe.pubsub('NUMSUB', channel)).toEqual([channel, 0]));
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(await probe.pubsub('NUMSUB', channel)).toEqual([channel, 0]);
      } finally {
        probe.disconnect();
      }
    } finally {
      subscriber.stop();
      redis.disconnect();
    }
  });
});

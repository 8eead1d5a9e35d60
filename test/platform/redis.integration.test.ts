import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { dependencies, uniqueName } from '@boxoffice/testkit';

describe('Redis (real server)', () => {
  const prefix = `${uniqueName('smoke-redis')}:`;
  const redis = new Redis(dependencies().redisUrl, { keyPrefix: prefix });
  const subscriber = new Redis(dependencies().redisUrl);
  afterAll(async () => {
    redis.disconnect();
    subscriber.disconnect();
  });

  it('round-trips a value with an expiry under the suite key prefix', async () => {
    await redis.set('greeting', 'hello', 'PX', 60_000);
    expect(await redis.get('greeting')).toBe('hello');
    expect(await redis.pttl('greeting')).toBeGreaterThan(0);
    expect(await subscriber.get(`${prefix}greeting`)).toBe('hello');
  });

  it('delivers a published message to a subscriber', async () => {
    const channel = `${prefix}replies`;
    const received = new Promise<string>((resolve) =>
      subscriber.on('message', (_channel, message: string) => resolve(message)),
    );
    await subscriber.subscribe(channel);
    await redis.publish(channel, 'order-1 held');
    expect(await received).toBe('order-1 held');
  });

  it('is Redis 7 or newer', async () => {
    const version = /redis_version:(\d+)/.exec(await redis.info('server'))?.[1];
    expect(Number(version)).toBeGreaterThanOrEqual(7);
  });
});

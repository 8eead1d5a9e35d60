import { describe, expect, it } from '@jest/globals';
import { ExponentialBackoff, TokenBucket } from './backoff.ts';

describe('per-key exponential backoff', () => {
  it('doubles the wait on each consecutive failure of a key, up to the cap', () => {
    const backoff = new ExponentialBackoff({ baseMs: 100, maxMs: 1_000 });
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.next('a/b'))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('keeps keys apart and starts over once a key succeeds', () => {
    const backoff = new ExponentialBackoff({ baseMs: 100, maxMs: 10_000 });
    backoff.next('a/b');
    backoff.next('a/b');
    expect(backoff.next('c/d')).toBe(100);
    backoff.forget('a/b');
    expect(backoff.next('a/b')).toBe(100);
  });
});

describe('the reconcile rate limit', () => {
  it('allows a burst, then one start per 1/rate seconds', () => {
    let now = 0;
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3, now: () => now });
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0]);
    expect(bucket.take()).toBe(100);
    now += 100;
    expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBe(100);
  });
});

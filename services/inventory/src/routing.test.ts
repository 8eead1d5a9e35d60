import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { chooseShard } from './routing.ts';

/** The random draws that land on each shard, over `steps` evenly spaced points of [0, 1). */
function shares(remaining: (number | undefined)[], quantity: number, steps = 1_000, exclude: number[] = []) {
  const counts = new Map<number | undefined, number>();
  for (let i = 0; i < steps; i++) {
    const shard = chooseShard(remaining, quantity, { random: () => i / steps, exclude });
    counts.set(shard, (counts.get(shard) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].map(([shard, n]) => [String(shard), n / steps]));
}

describe('chooseShard', () => {
  it('picks each shard with enough stock in proportion to its stock', () => {
    expect(shares([30, 10, 60], 1)).toEqual({ '0': 0.3, '1': 0.1, '2': 0.6 });
  });

  it('never picks a shard with less stock than the request needs', () => {
    expect(shares([1, 5, 2], 3)).toEqual({ '1': 1 });
  });

  it('skips the shards to exclude (those a forwarded request already tried)', () => {
    expect(shares([50, 25, 25], 1, 1_000, [0])).toEqual({ '1': 0.5, '2': 0.5 });
  });

  it('skips shards whose stock it does not know', () => {
    expect(shares([undefined, 4, undefined, 4], 1)).toEqual({ '1': 0.5, '3': 0.5 });
  });

  it('finds no shard when none has enough, or all that have are excluded', () => {
    expect(chooseShard([0, 0], 1, { random: () => 0.5 })).toBeUndefined();
    expect(chooseShard([], 1, { random: () => 0.5 })).toBeUndefined();
    expect(chooseShard([2, 1], 3, { random: () => 0.5 })).toBeUndefined();
    expect(chooseShard([9, 9], 1, { random: () => 0.5, exclude: [0, 1] })).toBeUndefined();
  });

  it('pins the choice through the injected randomness, ends included', () => {
    expect(chooseShard([10, 10], 1, { random: () => 0 })).toBe(0);
    expect(chooseShard([10, 10], 1, { random: () => 0.4999 })).toBe(0);
    expect(chooseShard([10, 10], 1, { random: () => 0.5 })).toBe(1);
    expect(chooseShard([10, 10], 1, { random: () => 0.999999 })).toBe(1);
    // A generator that returns 1 (outside its contract) still gets a shard that qualifies.
    expect(chooseShard([10, 0], 1, { random: () => 1 })).toBe(0);
  });

  it('always returns a qualifying shard when one exists, and none otherwise', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }), { maxLength: 16 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 4 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (remaining, quantity, exclude, draw) => {
          const shard = chooseShard(remaining, quantity, { random: () => draw, exclude });
          const qualifies = (k: number) => (remaining[k] ?? 0) >= quantity && !exclude.includes(k);
          if (remaining.some((_, k) => qualifies(k))) expect(qualifies(shard!)).toBe(true);
          else expect(shard).toBeUndefined();
        },
      ),
    );
  });
});

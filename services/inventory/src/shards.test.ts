import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CapacityBelowAllocatedError, resizeShards, splitCapacity } from './shards.ts';

const allocations = (...allocated: number[]) => allocated.map((n) => ({ allocated: n }));

describe('splitCapacity', () => {
  it('gives the first capacity % shards shards one ticket more', () => {
    expect(splitCapacity(10, 4)).toEqual([3, 3, 2, 2]);
    expect(splitCapacity(7, 3)).toEqual([3, 2, 2]);
    expect(splitCapacity(8, 4)).toEqual([2, 2, 2, 2]);
  });

  it('leaves shards empty when there are fewer tickets than shards', () => {
    expect(splitCapacity(2, 4)).toEqual([1, 1, 0, 0]);
    expect(splitCapacity(0, 3)).toEqual([0, 0, 0]);
  });

  it('puts everything on the only shard', () => {
    expect(splitCapacity(500, 1)).toEqual([500]);
  });

  it('always sums to the capacity, with shard sizes that differ by at most one, largest first', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 256 }),
        (capacity, shards) => {
          const split = splitCapacity(capacity, shards);
          expect(split).toHaveLength(shards);
          expect(split.reduce((a, b) => a + b, 0)).toBe(capacity);
          expect(Math.max(...split) - Math.min(...split)).toBeLessThanOrEqual(1);
          expect([...split].sort((a, b) => b - a)).toEqual(split);
          expect(split.every((n) => Number.isInteger(n) && n >= 0)).toBe(true);
        },
      ),
    );
  });

  it('refuses a negative or fractional capacity and a shard count below one', () => {
    expect(() => splitCapacity(-1, 2)).toThrow(RangeError);
    expect(() => splitCapacity(1.5, 2)).toThrow(/capacity must be a non-negative integer/);
    expect(() => splitCapacity(Number.NaN, 2)).toThrow(RangeError);
    expect(() => splitCapacity(10, 0)).toThrow(/shards must be a positive integer/);
    expect(() => splitCapacity(10, -3)).toThrow(RangeError);
    expect(() => splitCapacity(10, 2.5)).toThrow(RangeError);
  });
});

describe('resizeShards', () => {
  it('spreads added capacity over the shards on top of what each has allocated', () => {
    // 10 tickets over 2 shards; shard 0 sold out (5 allocated), shard 1 untouched; total raised to 20.
    expect(resizeShards(allocations(5, 0), 20, 2)).toEqual([13, 7]);
  });

  it('gives new shards a share of the unallocated stock', () => {
    expect(resizeShards(allocations(4, 4), 12, 4)).toEqual([5, 5, 1, 1]);
    expect(resizeShards(allocations(0, 0), 10, 5)).toEqual([2, 2, 2, 2, 2]);
  });

  it('creates the shards of a new ticket type as splitCapacity does', () => {
    expect(resizeShards([], 10, 4)).toEqual(splitCapacity(10, 4));
  });

  it('may shrink capacity down to exactly what is held or sold, leaving every shard sold out', () => {
    expect(resizeShards(allocations(3, 1, 0), 4, 3)).toEqual([3, 1, 0]);
  });

  it('refuses a capacity below what is already held or sold', () => {
    const attempt = () => resizeShards(allocations(3, 2), 4, 2);
    expect(attempt).toThrow(CapacityBelowAllocatedError);
    expect(attempt).toThrow('capacity 4 is below the 5 tickets already held or sold');
    try {
      attempt();
    } catch (error) {
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ name: 'CapacityBelowAllocatedError', requested: 4, allocated: 5 });
    }
  });

  it('never removes shards', () => {
    expect(() => resizeShards(allocations(0, 0, 0), 10, 2)).toThrow(/never decreases/);
  });

  it('refuses a negative or fractional capacity and a shard count below one as invalid input', () => {
    expect(() => resizeShards([], -1, 2)).toThrow(RangeError);
    expect(() => resizeShards(allocations(1), 2.5, 1)).toThrow(RangeError);
    expect(() => resizeShards([], 10, 0)).toThrow(RangeError);
    expect(() => resizeShards(allocations(1), 10, 1.5)).toThrow(RangeError);
  });

  it('keeps every allocation, sums to the new capacity and spreads the free stock evenly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 16 }),
        fc.integer({ min: 0, max: 16 }),
        fc.integer({ min: 0, max: 20_000 }),
        (allocated, addedShards, extra) => {
          const shards = Math.max(1, allocated.length + addedShards);
          const total = allocated.reduce((a, b) => a + b, 0);
          const capacities = resizeShards(allocations(...allocated), total + extra, shards);

          expect(capacities).toHaveLength(shards);
          expect(capacities.reduce((a, b) => a + b, 0)).toBe(total + extra);
          const free = capacities.map((c, shard) => c - (allocated[shard] ?? 0));
          expect(free.every((n) => n >= 0)).toBe(true);
          expect(Math.max(...free) - Math.min(...free)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});

import { describe, expect, it } from '@jest/globals';
import { longestStall } from './shard-watch.ts';

const sample = (at: number, ...shards: [number, boolean][]) => ({
  at,
  shards: new Map(shards.map(([allocated, hasStock], shard) => [shard, { allocated, hasStock }])),
});

describe('the longest shard stall', () => {
  it('is the longest time a shard with stock allocated nothing, counted from the injection', () => {
    const samples = [
      sample(0, [0, true], [0, true]),
      sample(1000, [5, true], [3, true]),
      sample(2000, [5, true], [6, true]),
      sample(5000, [5, true], [9, true]),
      sample(6000, [8, true], [12, true]),
    ];
    expect(longestStall(samples, 500, 6000)).toBe(5500);
  });

  it('ends when the shard sold out, and outside the window', () => {
    const samples = [sample(0, [0, true]), sample(1000, [10, false]), sample(9000, [10, false])];
    expect(longestStall(samples, 0, 9000)).toBe(1000);
    expect(
      longestStall([sample(0, [1, true]), sample(3000, [1, true]), sample(9000, [2, true])], 0, 4000),
    ).toBe(3000);
  });
});

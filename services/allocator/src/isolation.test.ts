import { describe, expect, it } from '@jest/globals';
import { isolateRefused } from './isolation.ts';

class Refused extends Error {}

/** Applies a group unless it contains a bad item; records every attempt. */
function store(bad: Set<number>, attempts: number[][] = []) {
  const applied: number[] = [];
  const apply = async (group: number[]) => {
    attempts.push(group);
    if (group.some((n) => bad.has(n))) throw new Refused(`refused ${group.filter((n) => bad.has(n))}`);
    applied.push(...group);
    return group.length;
  };
  return { apply, applied, attempts };
}
const isRefusal = (error: unknown) => error instanceof Refused;
const items = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('isolateRefused', () => {
  it('applies an acceptable batch in one go', async () => {
    const s = store(new Set());
    const isolation = await isolateRefused(items(8), s.apply, isRefusal);
    expect(s.attempts).toEqual([items(8)]);
    expect(isolation).toEqual({ applied: [{ offset: 0, items: items(8), result: 8 }], refused: [] });
  });

  it('applies everything but the refused items, in arrival order', async () => {
    const s = store(new Set([3, 6]));
    const isolation = await isolateRefused(items(10), s.apply, isRefusal);
    expect(s.applied).toEqual([0, 1, 2, 4, 5, 7, 8, 9]);
    expect(isolation.refused.map((r) => [r.index, r.item])).toEqual([
      [3, 3],
      [6, 6],
    ]);
    expect(isolation.refused[0]!.error).toEqual(new Refused('refused 3'));
    // Each applied group says where it starts, so results map back to the batch.
    for (const group of isolation.applied)
      expect(group.items).toEqual(items(10).slice(group.offset, group.offset + group.items.length));
  });

  it('needs about 2·log2(n) extra transactions for one bad item', async () => {
    const s = store(new Set([700]));
    await isolateRefused(items(1_000), s.apply, isRefusal);
    expect(s.attempts.length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(1_000)));
  });

  it('refuses every item of a batch that is all bad, and a single bad item', async () => {
    expect((await isolateRefused(items(3), store(new Set(items(3))).apply, isRefusal)).refused).toHaveLength(
      3,
    );
    const one = await isolateRefused([5], store(new Set([5])).apply, isRefusal);
    expect(one).toEqual({ applied: [], refused: [{ index: 0, item: 5, error: expect.any(Refused) }] });
  });

  it('blames nothing for a failure that is not a refusal: it propagates and the split stops', async () => {
    const attempts: number[][] = [];
    const down = async (group: number[]) => {
      attempts.push(group);
      throw new Error('connection refused');
    };
    await expect(isolateRefused(items(4), down, isRefusal)).rejects.toThrow('connection refused');
    expect(attempts).toEqual([items(4)]);
  });

  it('does nothing for an empty batch', async () => {
    const s = store(new Set());
    expect(await isolateRefused([], s.apply, isRefusal)).toEqual({ applied: [], refused: [] });
    expect(s.attempts).toEqual([]);
  });
});

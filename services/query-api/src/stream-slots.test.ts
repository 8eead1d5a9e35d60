import { describe, expect, it } from '@jest/globals';
import { StreamSlots } from './stream-slots.ts';

describe('StreamSlots', () => {
  it('refuses a client its stream beyond its own cap, while others still get theirs', () => {
    const slots = new StreamSlots({ perInstance: 10, perClient: 2 });
    expect(slots.take('a')).toHaveProperty('release');
    expect(slots.take('a')).toHaveProperty('release');
    expect(slots.take('a')).toEqual({ refused: 'client_full' });
    expect(slots.take('b')).toHaveProperty('release');
    expect(slots.open).toBe(3);
  });

  it('refuses everyone once the instance is full, and serves again when a stream ends', () => {
    const slots = new StreamSlots({ perInstance: 2, perClient: 2 });
    const first = slots.take('a');
    slots.take('b');
    expect(slots.take('c')).toEqual({ refused: 'instance_full' });
    if (!('release' in first)) throw new Error('expected a slot');
    first.release();
    expect(slots.take('c')).toHaveProperty('release');
  });

  it('releases a slot once, however many times its stream reports the end', () => {
    const slots = new StreamSlots({ perInstance: 5, perClient: 1 });
    const slot = slots.take('a');
    if (!('release' in slot)) throw new Error('expected a slot');
    slot.release();
    slot.release();
    expect(slots.open).toBe(0);
    const again = slots.take('a');
    expect(again).toHaveProperty('release');
    expect(slots.take('a')).toEqual({ refused: 'client_full' });
    expect(slots.open).toBe(1);
  });
});

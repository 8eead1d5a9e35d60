import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  joinRefusal,
  pickOffers,
  waitingListShard,
  waitingPosition,
  WaitingStatus,
  type WaitingEntry,
} from './waiting-list.ts';

const entry = (seq: number, quantity: number, buyerId = `b${seq}`): WaitingEntry => ({
  id: `e${seq}`,
  buyerId,
  ticketType: 'ga',
  quantity,
  shard: 0,
  seq,
  status: WaitingStatus.Waiting,
  joinedAt: '2026-06-01T10:00:00.000Z',
  updatedAt: '2026-06-01T10:00:00.000Z',
});
const unlimited = () => 10;

describe('pickOffers', () => {
  it('gives the seats to the first waiting buyers, in order of joining', () => {
    const list = [entry(1, 2), entry(2, 1), entry(3, 2)];
    expect(pickOffers(3, list, unlimited).map((e) => e.id)).toEqual(['e1', 'e2']);
  });

  it('passes over a buyer whose quantity does not fit, who keeps their place for the next seats', () => {
    const list = [entry(1, 3), entry(2, 1), entry(3, 1)];
    expect(pickOffers(2, list, unlimited).map((e) => e.id)).toEqual(['e2', 'e3']);
    expect(pickOffers(3, list, unlimited).map((e) => e.id)).toEqual(['e1']);
  });

  it('passes over a buyer with no room left under the per-buyer limit', () => {
    const list = [entry(1, 2, 'full'), entry(2, 2)];
    expect(pickOffers(2, list, (buyer) => (buyer === 'full' ? 1 : 4)).map((e) => e.id)).toEqual(['e2']);
  });

  it('offers nothing without seats, and never to an entry that is not waiting', () => {
    expect(pickOffers(0, [entry(1, 1)], unlimited)).toEqual([]);
    expect(pickOffers(5, [{ ...entry(1, 1), status: WaitingStatus.Left }], unlimited)).toEqual([]);
  });

  it('never offers more seats than there are, and serves entries in order of joining: an earlier one left waiting did not fit what was left at its turn', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 12 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 4, maxLength: 4 }),
        (seats, quantities, rooms) => {
          const list = quantities.map((q, i) => entry(i + 1, q, `b${i % 4}`));
          const room = (buyer: string) => rooms[Number(buyer.slice(1))]!;
          const picked = pickOffers(seats, list, room);
          expect(picked.reduce((n, e) => n + e.quantity, 0)).toBeLessThanOrEqual(seats);
          expect(new Set(picked.map((e) => e.id)).size).toBe(picked.length);
          expect(picked.map((e) => e.seq)).toEqual([...picked.map((e) => e.seq)].sort((a, b) => a - b));
          const taken = new Map<string, number>();
          let left = seats;
          for (const e of list) {
            const isPicked = picked.includes(e);
            const roomLeft = room(e.buyerId) - (taken.get(e.buyerId) ?? 0);
            // Skipped only when it did not fit the seats or the buyer's room left at its turn.
            expect({ seq: e.seq, picked: isPicked }).toEqual({
              seq: e.seq,
              picked: e.quantity <= left && e.quantity <= roomLeft,
            });
            if (isPicked) {
              left -= e.quantity;
              taken.set(e.buyerId, (taken.get(e.buyerId) ?? 0) + e.quantity);
            }
          }
        },
      ),
    );
  });
});

describe('waitingListShard', () => {
  it('joins the shard whose waiting tickets are the smallest share of its capacity', () => {
    expect(
      waitingListShard(
        [
          { capacity: 10, waitingTickets: 4 },
          { capacity: 10, waitingTickets: 2 },
        ],
        1,
      ),
    ).toBe(1);
    expect(
      waitingListShard(
        [
          { capacity: 20, waitingTickets: 4 },
          { capacity: 10, waitingTickets: 3 },
        ],
        1,
      ),
    ).toBe(0);
  });

  it('breaks ties at random (a burst of joins spreads) and passes over shards too small while another fits', () => {
    const empty = [
      { capacity: 5, waitingTickets: 0 },
      { capacity: 5, waitingTickets: 0 },
      { capacity: 10, waitingTickets: 4 },
    ];
    expect(waitingListShard(empty, 2, () => 0)).toBe(0);
    expect(waitingListShard(empty, 2, () => 0.99)).toBe(1);
    expect(
      waitingListShard(
        [
          { capacity: 1, waitingTickets: 0 },
          { capacity: 5, waitingTickets: 9 },
        ],
        2,
      ),
    ).toBe(1);
    // None fits yet (capacity may grow): the least loaded.
    expect(
      waitingListShard(
        [
          { capacity: 1, waitingTickets: 3 },
          { capacity: 1, waitingTickets: 0 },
        ],
        2,
      ),
    ).toBe(1);
    expect(waitingListShard([], 1)).toBeUndefined();
  });

  it('spreads a stream of joins so that every shard waits for about its share of the capacity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 4, max: 50 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 200 }),
        (capacities, joins) => {
          const shards = capacities.map((capacity) => ({ capacity, waitingTickets: 0 }));
          for (const quantity of joins) {
            const k = waitingListShard(shards, quantity)!;
            shards[k]!.waitingTickets += quantity;
          }
          const loads = shards.map((s) => s.waitingTickets / s.capacity);
          // The least-loaded rule keeps every pair within one join (at most 4 tickets) of each other.
          for (const [i, a] of loads.entries())
            for (const [j, b] of loads.entries())
              expect(a - b).toBeLessThanOrEqual(4 / shards[j]!.capacity + 4 / shards[i]!.capacity);
        },
      ),
    );
  });
});

describe('waitingPosition', () => {
  it('is one more than the entries of the shard that joined before', () => {
    expect(waitingPosition({ seq: 7 }, [3, 5, 7, 9])).toBe(3);
    expect(waitingPosition({ seq: 1 }, [])).toBe(1);
  });
});

describe('joinRefusal', () => {
  const soldOut = { remaining: [0, 1], quantity: 2, perBuyerLimit: 4, active: 0 };
  it('lets a buyer join once no shard has their quantity left', () => {
    expect(joinRefusal(soldOut)).toBeUndefined();
  });
  it('refuses while a shard could still sell the quantity', () => {
    expect(joinRefusal({ ...soldOut, remaining: [0, 2] })).toBe('not_sold_out');
  });
  it('refuses a quantity above the limit, and one that the buyer’s holds and tickets leave no room for', () => {
    expect(joinRefusal({ ...soldOut, quantity: 5 })).toBe('over_limit');
    expect(joinRefusal({ ...soldOut, active: 3 })).toBe('limit_reached');
  });
  it('refuses a second entry while the first waits or its offer is held, not after it expired', () => {
    expect(joinRefusal({ ...soldOut, current: { status: WaitingStatus.Waiting, offerHeld: false } })).toBe(
      'already_waiting',
    );
    expect(joinRefusal({ ...soldOut, current: { status: WaitingStatus.Offered, offerHeld: true } })).toBe(
      'offered',
    );
    expect(
      joinRefusal({ ...soldOut, current: { status: WaitingStatus.Offered, offerHeld: false } }),
    ).toBeUndefined();
    expect(
      joinRefusal({ ...soldOut, current: { status: WaitingStatus.Left, offerHeld: false } }),
    ).toBeUndefined();
  });
});

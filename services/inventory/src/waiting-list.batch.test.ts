import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { applyBatch, type BatchContext, type ShardState } from './batch.ts';
import { at, context, expire, orderId, paid, purchase, release, shardState } from './batch.fixtures.ts';
import type { ShardCommand, WaitingListJoin, WaitingListLeave } from './messages.ts';
import { OrderStatus } from './orders.ts';
import { WaitingStatus, type WaitingEntry } from './waiting-list.ts';

const join = (id: string, buyerId: string, quantity: number, ticketType = 'ga'): WaitingListJoin => ({
  v: 1,
  kind: 'waiting-list.join',
  orderId: id,
  buyerId,
  ticketType,
  quantity,
  requestedAt: at(0).toISOString(),
});
const leave = (id: string, buyerId: string): WaitingListLeave => ({
  v: 1,
  kind: 'waiting-list.leave',
  orderId: id,
  buyerId,
});

/** Applies batches in turn, carrying the state as the store would between transactions. */
function applyAll(state: ShardState, batches: ShardCommand[][], ctx: Partial<BatchContext> = {}) {
  let current = state;
  const results = [];
  for (const commands of batches) {
    const result = applyBatch(current, commands, context(ctx));
    results.push(result);
    current = result.state;
  }
  return { state: current, results };
}

/** A shard of `ga` with `capacity` seats, all held by buyer `h<i>` (one seat each). */
function soldOut(capacity: number): { state: ShardState; holds: string[] } {
  const holds = Array.from({ length: capacity }, (_, i) => orderId(900 + i));
  const result = applyBatch(
    shardState({ ga: capacity }),
    holds.map((id, i) => purchase(id, `h${i}`, 1)),
    context(),
  );
  return { state: result.state, holds };
}

describe('a waiting list on one shard', () => {
  const A = orderId(1);
  const B = orderId(2);
  const C = orderId(3);

  it('queues a join while the shard is sold out, and gives a released seat to the first waiting buyer as a hold', () => {
    const { state, holds } = soldOut(2);
    const { state: after, results } = applyAll(state, [
      [join(A, 'alice', 1), join(B, 'bob', 1)],
      [release(holds[0]!, 'h0')],
    ]);
    expect(results[0]!.outcomes.map((o) => o.kind)).toEqual(['joined', 'joined']);
    expect(results[0]!.offers).toEqual([]);
    expect(results[1]!.outcomes.map((o) => o.kind)).toEqual(['released']);
    expect(results[1]!.offers).toEqual([
      expect.objectContaining({ id: A, buyerId: 'alice', status: OrderStatus.Held, quantity: 1, shard: 0 }),
    ]);
    expect(after.entries.get(A)?.status).toBe(WaitingStatus.Offered);
    expect(after.waiting.get('ga')!.map((e) => e.id)).toEqual([B]);
    expect(after.counters.get('ga')).toEqual({ capacity: 2, held: 2, sold: 0 });
    expect(after.buyerQuantities.get('alice')).toBe(1);
    // The offer is an order like any other, with the TTL of a hold.
    expect(after.orders.get(A)?.expiresAt).toBe(at(600).toISOString());
  });

  it('gives the seats of an expired offer to the next waiting buyer', () => {
    const { state, holds } = soldOut(1);
    const { state: after, results } = applyAll(state, [
      [join(A, 'alice', 1), join(B, 'bob', 1)],
      [release(holds[0]!, 'h0')],
    ]);
    const later = applyBatch(after, [expire(A)], context({ now: at(601) }));
    expect(results[1]!.offers.map((o) => o.id)).toEqual([A]);
    expect(later.outcomes.map((o) => o.kind)).toEqual(['expired']);
    expect(later.offers.map((o) => [o.id, o.buyerId])).toEqual([[B, 'bob']]);
    expect(later.state.orders.get(A)?.status).toBe(OrderStatus.Expired);
    expect(later.state.counters.get('ga')).toEqual({ capacity: 1, held: 1, sold: 0 });
    expect(later.state.buyerQuantities.get('alice')).toBe(0);
  });

  it('serves freed seats before a purchase later in the same batch can take them', () => {
    const { state, holds } = soldOut(1);
    const { state: waiting } = applyAll(state, [[join(A, 'alice', 1)]]);
    const result = applyBatch(waiting, [release(holds[0]!, 'h0'), purchase(C, 'carol', 1)], context());
    expect(result.offers.map((o) => o.id)).toEqual([A]);
    expect(result.outcomes[1]).toEqual({ orderId: C, kind: 'rejected', reason: 'sold_out' });
  });

  it('passes over a waiting buyer whose quantity does not fit, who gets the next seats that do', () => {
    const { state, holds } = soldOut(3);
    const { state: waiting } = applyAll(state, [[join(A, 'alice', 2), join(B, 'bob', 1)]]);
    const first = applyBatch(waiting, [release(holds[0]!, 'h0')], context());
    expect(first.offers.map((o) => o.id)).toEqual([B]);
    const second = applyBatch(first.state, [release(holds[1]!, 'h1'), release(holds[2]!, 'h2')], context());
    expect(second.offers.map((o) => o.id)).toEqual([A]);
  });

  it('turns a join into an offer at once when the shard has the seats (they came back before it arrived)', () => {
    const result = applyBatch(shardState({ ga: 2 }), [join(A, 'alice', 2)], context());
    expect(result.outcomes[0]).toMatchObject({ kind: 'joined', entry: { status: WaitingStatus.Offered } });
    expect(result.offers.map((o) => o.id)).toEqual([A]);
  });

  it('does not serve a join behind entries the batch did not read (the store read only the head of a long list)', () => {
    const state = { ...shardState({ ga: 1 }), waitingCut: new Set(['ga']) };
    const result = applyBatch(state, [join(A, 'alice', 1)], context());
    expect(result.outcomes[0]).toMatchObject({ kind: 'joined', entry: { status: WaitingStatus.Waiting } });
    expect(result.offers).toEqual([]);
  });

  it('lets a buyer leave, after which freed seats pass them by; leaving twice changes nothing', () => {
    const { state, holds } = soldOut(1);
    const { state: after, results } = applyAll(state, [
      [join(A, 'alice', 1), join(B, 'bob', 1)],
      [leave(A, 'alice'), leave(A, 'alice'), release(holds[0]!, 'h0')],
    ]);
    expect(results[1]!.outcomes.map((o) => o.kind)).toEqual(['left', 'ignored', 'released']);
    expect(results[1]!.outcomes[1]).toMatchObject({ reason: 'not_waiting' });
    expect(results[1]!.offers.map((o) => o.id)).toEqual([B]);
    expect(after.entries.get(A)?.status).toBe(WaitingStatus.Left);
  });

  it("refuses another buyer's leave and a leave of an entry that is not on the shard", () => {
    const { state } = soldOut(1);
    const { results } = applyAll(state, [[join(A, 'alice', 1), leave(A, 'mallory'), leave(C, 'alice')]]);
    expect(results[0]!.outcomes.slice(1)).toEqual([
      { orderId: A, kind: 'ignored', reason: 'not_owner' },
      { orderId: C, kind: 'ignored', reason: 'unknown_entry' },
    ]);
  });

  it('keeps one waiting entry per buyer and type, and a redelivered join is a duplicate', () => {
    const { state } = soldOut(1);
    const { results } = applyAll(state, [[join(A, 'alice', 1), join(B, 'alice', 1), join(A, 'alice', 1)]]);
    expect(results[0]!.outcomes.slice(1)).toEqual([
      { orderId: B, kind: 'rejected', reason: 'already_waiting' },
      { orderId: A, kind: 'ignored', reason: 'duplicate_entry' },
    ]);
    expect(results[0]!.changedEntries.map((e) => e.id)).toEqual([A]);
  });

  it('refuses a join over the per-buyer limit and offers no seats a buyer has no room for', () => {
    const { state, holds } = soldOut(3);
    const { state: waiting, results } = applyAll(state, [[join(A, 'h0', 4), join(B, 'h1', 3)]]);
    expect(results[0]!.outcomes[0]).toEqual({ orderId: A, kind: 'rejected', reason: 'limit_reached' });
    expect(results[0]!.outcomes[1]).toMatchObject({ kind: 'joined' });
    // h1 holds one seat and waits for three more: released seats of h2 fit, but h1 has no room.
    const result = applyBatch(
      waiting,
      [release(holds[2]!, 'h2'), release(holds[0]!, 'h0')],
      context({ perBuyerLimit: 3 }),
    );
    expect(result.offers).toEqual([]);
    expect(result.state.counters.get('ga')).toMatchObject({ held: 1 });
  });

  it('offers nothing when a payment turns a hold into a sale (no seat came back)', () => {
    const { state, holds } = soldOut(1);
    const { state: waiting } = applyAll(state, [[join(A, 'alice', 1)]]);
    const result = applyBatch(waiting, [paid(holds[0]!, 'p1', 2500)], context());
    expect(result.offers).toEqual([]);
    expect(result.state.counters.get('ga')).toEqual({ capacity: 1, held: 0, sold: 1 });
  });
});

/**
 * Random joins, leaves, purchases, releases, expiries and payments on one shard, each its own batch
 * (as the store applies them). The properties the waiting list must keep: no seat to two buyers,
 * seats offered in order of joining, and no seat left unsold while a waiting buyer it fits waits.
 */
type Step =
  | { kind: 'join'; buyer: number; quantity: number }
  | { kind: 'leave'; entry: number }
  | { kind: 'purchase'; buyer: number; quantity: number }
  | { kind: 'release'; order: number }
  | { kind: 'expire'; order: number; advance: number }
  | { kind: 'pay'; order: number };

const BUYERS = 6;
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('join' as const),
      buyer: fc.nat(BUYERS - 1),
      quantity: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), entry: fc.nat(30) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('purchase' as const),
      buyer: fc.nat(BUYERS - 1),
      quantity: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), order: fc.nat(30) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('expire' as const),
      order: fc.nat(30),
      advance: fc.integer({ min: 0, max: 700 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pay' as const), order: fc.nat(30) }) },
);

describe('a waiting list under random interleavings', () => {
  it('never gives a seat to two buyers, offers in order of joining, and leaves no seat idle while a waiting buyer it fits waits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(step, { maxLength: 60 }), (capacity, steps) => {
        let state = shardState({ ga: capacity });
        let seconds = 0;
        let next = 0;
        const orders: string[] = [];
        const entries: string[] = [];
        const offered = new Set<string>();
        for (const s of steps) {
          const id = orderId(++next);
          let command: ShardCommand;
          switch (s.kind) {
            case 'join':
              entries.push(id);
              command = join(id, `b${s.buyer}`, s.quantity);
              break;
            case 'leave': {
              const entryId = entries[s.entry % Math.max(1, entries.length)] ?? id;
              command = leave(entryId, state.entries.get(entryId)?.buyerId ?? 'nobody');
              break;
            }
            case 'purchase':
              orders.push(id);
              command = purchase(id, `b${s.buyer}`, s.quantity);
              break;
            default: {
              // Lifecycle commands for purchases and offers alike.
              const all = [...orders, ...offered];
              const target = all[s.order % Math.max(1, all.length)] ?? id;
              const order = state.orders.get(target);
              if (s.kind === 'expire') seconds += s.advance;
              command =
                s.kind === 'release'
                  ? release(target, order?.buyerId ?? 'nobody')
                  : s.kind === 'expire'
                    ? expire(target)
                    : paid(target, `p${id}`, order?.amountMinor ?? 0);
            }
          }
          const waitingBefore = [...state.waiting.values()].flat();
          const result = applyBatch(state, [command], context({ now: at(seconds), perBuyerLimit: 100 }));
          state = result.state;

          // No seat to two buyers: the counter is the sum of the orders, within capacity; every
          // offer is a new order with its entry's id and buyer, made once.
          const counter = state.counters.get('ga')!;
          const occupying = [...state.orders.values()].filter((o) => o.shard === 0);
          const sum = (status: string) =>
            occupying.filter((o) => o.status === status).reduce((n, o) => n + o.quantity, 0);
          expect(counter.held + counter.sold).toBeLessThanOrEqual(counter.capacity);
          expect({ held: counter.held, sold: counter.sold }).toEqual({
            held: sum(OrderStatus.Held),
            sold: sum(OrderStatus.Confirmed),
          });
          for (const offer of result.offers) {
            expect(offered.has(offer.id)).toBe(false);
            offered.add(offer.id);
            const entry = state.entries.get(offer.id)!;
            expect({ status: entry.status, buyer: entry.buyerId, quantity: entry.quantity }).toEqual({
              status: WaitingStatus.Offered,
              buyer: offer.buyerId,
              quantity: offer.quantity,
            });
          }

          // Order of joining: an entry that joined before an offered one and still waits did not
          // fit the seats that were left at its turn.
          const remaining = counter.capacity - counter.held - counter.sold;
          const stillWaiting = [...state.waiting.values()].flat();
          result.offers.forEach((offer, i) => {
            const leftAtItsTurn = remaining + result.offers.slice(i).reduce((n, o) => n + o.quantity, 0);
            const seq = state.entries.get(offer.id)!.seq;
            for (const earlier of stillWaiting.filter((e: WaitingEntry) => e.seq < seq))
              expect({ earlier: earlier.id, fits: earlier.quantity <= leftAtItsTurn }).toEqual({
                earlier: earlier.id,
                fits: false,
              });
          });
          // No idle seat while a waiting buyer it fits waits (the limit is out of the way here).
          for (const e of stillWaiting)
            expect({ entry: e.id, fits: e.quantity <= remaining }).toEqual({ entry: e.id, fits: false });
          // Entries only leave the list by an offer or by leaving.
          for (const e of waitingBefore)
            if (!stillWaiting.some((w) => w.id === e.id))
              expect([WaitingStatus.Offered, WaitingStatus.Left]).toContain(state.entries.get(e.id)!.status);
        }
      }),
      { numRuns: 300 },
    );
  });
});

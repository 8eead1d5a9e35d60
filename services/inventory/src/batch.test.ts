import { describe, expect, it } from '@jest/globals';
import { applyBatch, type ShardState } from './batch.ts';
import {
  at,
  context,
  expire,
  failed,
  HOLD_TTL_SECONDS,
  orderId,
  paid,
  purchase,
  release,
  shardState,
} from './batch.fixtures.ts';
import type { Order } from './orders.ts';

const A = orderId(1);
const B = orderId(2);
const C = orderId(3);

/** A shard with one hold of `quantity` ga tickets by alice, placed at T0. */
function withHold(quantity = 2, capacity = 10): ShardState {
  const state = shardState({ ga: capacity, free: capacity });
  const { outcomes, state: after } = applyBatch(
    state,
    [purchase(A, 'alice', quantity)],
    context({ perBuyerLimit: 10 }),
  );
  if (outcomes[0]?.kind !== 'held') throw new Error(`fixture hold not placed: ${JSON.stringify(outcomes)}`);
  return after;
}

function counter(state: ShardState, type = 'ga') {
  return state.counters.get(type);
}

describe('applyBatch: purchases', () => {
  it('a purchase the shard has stock for becomes a hold that expires after the hold TTL', () => {
    const result = applyBatch(shardState({ ga: 10 }), [purchase(A, 'alice', 3)], context());

    expect(result.outcomes).toEqual([{ orderId: A, kind: 'held', order: expect.anything() }]);
    const order = result.state.orders.get(A);
    const expected: Order = {
      id: A,
      buyerId: 'alice',
      ticketType: 'ga',
      quantity: 3,
      idempotencyKey: `key-${A}`,
      shard: 0,
      status: 'HELD',
      amountMinor: 7500,
      currency: 'EUR',
      createdAt: '2026-06-01T10:00:00.000Z',
      expiresAt: at(HOLD_TTL_SECONDS).toISOString(),
      updatedAt: '2026-06-01T10:00:00.000Z',
    };
    expect(order).toEqual(expected);
    expect(counter(result.state)).toEqual({ capacity: 10, held: 3, sold: 0 });
    expect(result.state.buyerQuantities.get('alice')).toBe(3);
    expect(result.changedOrders).toEqual([order]);
    expect(result.tickets).toEqual([]);
  });

  it('a purchase larger than what is left on the shard is sold out there and changes nothing', () => {
    const state = withHold(8);
    const result = applyBatch(state, [purchase(B, 'bob', 3)], context());

    expect(result.outcomes).toEqual([{ orderId: B, kind: 'rejected', reason: 'sold_out' }]);
    expect(counter(result.state)).toEqual({ capacity: 10, held: 8, sold: 0 });
    expect(result.state.orders.has(B)).toBe(false);
    expect(result.state.buyerQuantities.get('bob')).toBeUndefined();
    expect(result.changedOrders).toEqual([]);
  });

  it('allocates in arrival order: the request that drains the shard wins, later ones that do not fit are sold out', () => {
    const result = applyBatch(
      shardState({ ga: 5 }),
      [purchase(A, 'alice', 3), purchase(B, 'bob', 3), purchase(C, 'carol', 2)],
      context(),
    );

    expect(result.outcomes.map((o) => o.kind)).toEqual(['held', 'rejected', 'held']);
    expect(result.outcomes[1]).toEqual({ orderId: B, kind: 'rejected', reason: 'sold_out' });
    expect(counter(result.state)).toEqual({ capacity: 5, held: 5, sold: 0 });
  });

  it("a buyer's orders together never exceed the per-buyer limit", () => {
    const result = applyBatch(
      shardState({ ga: 20 }),
      [
        purchase(A, 'alice', 3),
        purchase(B, 'alice', 2),
        purchase(C, 'alice', 1),
        purchase(orderId(4), 'bob', 4),
      ],
      context({ perBuyerLimit: 4 }),
    );

    expect(result.outcomes.map((o) => ('reason' in o ? o.reason : o.kind))).toEqual([
      'held',
      'limit_reached',
      'held',
      'held',
    ]);
    expect(result.state.buyerQuantities.get('alice')).toBe(4);
    expect(counter(result.state)).toEqual({ capacity: 20, held: 8, sold: 0 });
  });

  it('the limit counts what the buyer already holds on other shards of the event', () => {
    const state = shardState({ ga: 20 });
    state.buyerQuantities.set('alice', 3);
    const result = applyBatch(state, [purchase(A, 'alice', 2)], context({ perBuyerLimit: 4 }));

    expect(result.outcomes).toEqual([{ orderId: A, kind: 'rejected', reason: 'limit_reached' }]);
    expect(result.state.buyerQuantities.get('alice')).toBe(3);
  });

  it('the limit is checked before stock, so a buyer at the limit hears "limit reached" even when sold out', () => {
    const state = withHold(4, 4);
    const result = applyBatch(state, [purchase(B, 'alice', 1)], context({ perBuyerLimit: 4 }));
    expect(result.outcomes).toEqual([{ orderId: B, kind: 'rejected', reason: 'limit_reached' }]);
  });

  it('a released hold no longer counts toward the limit', () => {
    const result = applyBatch(
      withHold(4),
      [release(A, 'alice'), purchase(B, 'alice', 4)],
      context({ perBuyerLimit: 4 }),
    );
    expect(result.outcomes.map((o) => o.kind)).toEqual(['released', 'held']);
    expect(result.state.buyerQuantities.get('alice')).toBe(4);
  });

  it('a redelivered purchase (same order id) returns the existing order and changes nothing', () => {
    const state = withHold(2);
    const again = applyBatch(
      state,
      [purchase(A, 'alice', 2), purchase(A, 'alice', 2)],
      context({ now: at(5) }),
    );

    expect(again.outcomes).toEqual([
      { orderId: A, kind: 'duplicate', order: state.orders.get(A) },
      { orderId: A, kind: 'duplicate', order: state.orders.get(A) },
    ]);
    expect(again.state).toEqual(state);
    expect(again.changedOrders).toEqual([]);
  });

  it('a purchase delivered twice in one batch is held once', () => {
    const result = applyBatch(
      shardState({ ga: 10 }),
      [purchase(A, 'alice', 2), purchase(A, 'alice', 2)],
      context(),
    );
    expect(result.outcomes.map((o) => o.kind)).toEqual(['held', 'duplicate']);
    expect(counter(result.state)).toEqual({ capacity: 10, held: 2, sold: 0 });
    expect(result.state.buyerQuantities.get('alice')).toBe(2);
  });

  it('a purchase delivered twice in one batch gets the same answer, even when seats free up in between', () => {
    const state = withHold(10);
    const copy = purchase(B, 'bob', 1);
    const result = applyBatch(state, [copy, release(A, 'alice'), copy], context());

    expect(result.outcomes).toEqual([
      { orderId: B, kind: 'rejected', reason: 'sold_out' },
      { orderId: A, kind: 'released', order: expect.objectContaining({ status: 'RELEASED' }) },
      { orderId: B, kind: 'rejected', reason: 'sold_out' },
    ]);
    expect(result.state.orders.has(B)).toBe(false);
    expect(counter(result.state)).toEqual({ capacity: 10, held: 0, sold: 0 });
  });

  it('a retry with the same Idempotency-Key under a new order id returns the first order', () => {
    const state = applyBatch(
      shardState({ ga: 10 }),
      [purchase(A, 'alice', 2, { idempotencyKey: 'k1' })],
      context(),
    ).state;
    const retry = applyBatch(state, [purchase(B, 'alice', 2, { idempotencyKey: 'k1' })], context());

    expect(retry.outcomes).toEqual([{ orderId: B, kind: 'duplicate', order: state.orders.get(A) }]);
    expect(retry.state.orders.has(B)).toBe(false);
    expect(counter(retry.state)).toEqual({ capacity: 10, held: 2, sold: 0 });
  });

  it("another buyer's identical Idempotency-Key is a different order", () => {
    const result = applyBatch(
      shardState({ ga: 10 }),
      [purchase(A, 'alice', 2, { idempotencyKey: 'k1' }), purchase(B, 'bob', 2, { idempotencyKey: 'k1' })],
      context(),
    );
    expect(result.outcomes.map((o) => o.kind)).toEqual(['held', 'held']);
    expect(counter(result.state)).toEqual({ capacity: 10, held: 4, sold: 0 });
  });

  it('a purchase for an order already held on another shard is a duplicate, not a second hold', () => {
    const state = withHold(2);
    const onShard1 = applyBatch(state, [purchase(A, 'alice', 2)], context({ shard: 1 }));
    expect(onShard1.outcomes).toEqual([{ orderId: A, kind: 'duplicate', order: state.orders.get(A) }]);
    expect(counter(onShard1.state)).toEqual({ capacity: 10, held: 2, sold: 0 });
  });

  it('a ticket type the shard does not sell is rejected', () => {
    const result = applyBatch(
      shardState({ ga: 10 }),
      [purchase(A, 'alice', 1, { ticketType: 'vip' }), purchase(B, 'alice', 1, { ticketType: 'balcony' })],
      context(),
    );
    expect(result.outcomes).toEqual([
      { orderId: A, kind: 'rejected', reason: 'unknown_ticket_type' },
      { orderId: B, kind: 'rejected', reason: 'unknown_ticket_type' },
    ]);
  });

  it("a purchase reusing the id of another event's order is rejected and holds nothing", () => {
    const state = { ...shardState({ ga: 10 }), foreignOrderIds: new Set([A]) };
    const result = applyBatch(state, [purchase(A, 'alice', 1)], context());
    expect(result.outcomes).toEqual([{ orderId: A, kind: 'rejected', reason: 'order_id_taken' }]);
    expect(counter(result.state)).toEqual({ capacity: 10, held: 0, sold: 0 });
    expect(result.changedOrders).toEqual([]);
  });

  it('free tickets are confirmed at once, with one ticket per seat', () => {
    const result = applyBatch(
      shardState({ free: 10 }),
      [purchase(A, 'alice', 3, { ticketType: 'free' })],
      context(),
    );

    expect(result.outcomes).toEqual([
      {
        orderId: A,
        kind: 'confirmed',
        order: expect.objectContaining({ status: 'CONFIRMED', amountMinor: 0 }),
        tickets: result.tickets,
      },
    ]);
    expect(result.tickets).toEqual([
      { code: 'T-000001', orderId: A, ticketType: 'free', seq: 1 },
      { code: 'T-000002', orderId: A, ticketType: 'free', seq: 2 },
      { code: 'T-000003', orderId: A, ticketType: 'free', seq: 3 },
    ]);
    expect(counter(result.state, 'free')).toEqual({ capacity: 10, held: 0, sold: 3 });
    expect(result.state.buyerQuantities.get('alice')).toBe(3);
    expect(result.changedOrders.map((o) => o.status)).toEqual(['CONFIRMED']);
  });
});

describe('applyBatch: releases', () => {
  it("the owner's release returns the seats and frees the buyer's limit", () => {
    const result = applyBatch(withHold(2), [release(A, 'alice')], context({ now: at(10) }));

    expect(result.outcomes).toEqual([
      { orderId: A, kind: 'released', order: expect.objectContaining({ status: 'RELEASED' }) },
    ]);
    expect(result.state.orders.get(A)).toMatchObject({ status: 'RELEASED', updatedAt: at(10).toISOString() });
    expect(counter(result.state)).toEqual({ capacity: 10, held: 0, sold: 0 });
    expect(result.state.buyerQuantities.get('alice')).toBe(0);
  });

  it('another buyer cannot release a hold', () => {
    const state = withHold(2);
    const result = applyBatch(state, [release(A, 'mallory')], context());

    expect(result.outcomes).toEqual([{ orderId: A, kind: 'ignored', reason: 'not_owner' }]);
    expect(result.state).toEqual(state);
  });

  it('releasing an unknown order or one that is no longer held is ignored', () => {
    const state = applyBatch(withHold(2), [release(A, 'alice')], context()).state;
    const result = applyBatch(state, [release(A, 'alice'), release(B, 'alice')], context());

    expect(result.outcomes).toEqual([
      { orderId: A, kind: 'ignored', reason: 'not_held', current: state.orders.get(A) },
      { orderId: B, kind: 'ignored', reason: 'unknown_order' },
    ]);
    expect(state.orders.get(A)?.status).toBe('RELEASED');
    expect(result.state).toEqual(state);
  });

  it("commands for an order held on another shard leave this shard's counters alone", () => {
    const state = withHold(2);
    const elsewhere = applyBatch(
      state,
      [release(A, 'alice'), expire(A), paid(A, 'p1', 5000), failed(A, 'p2')],
      context({ shard: 1, now: at(HOLD_TTL_SECONDS + 1) }),
    );

    expect(elsewhere.outcomes.map((o) => ('reason' in o ? o.reason : o.kind))).toEqual([
      'unknown_order',
      'unknown_order',
      'unknown_order',
      'unknown_order',
    ]);
    expect(elsewhere.state).toEqual(state);
  });
});

describe('applyBatch: expiry', () => {
  it('a hold past its expiry returns its seats', () => {
    const result = applyBatch(withHold(2), [expire(A)], context({ now: at(HOLD_TTL_SECONDS) }));

    expect(result.outcomes).toEqual([
      { orderId: A, kind: 'expired', order: expect.objectContaining({ status: 'EXPIRED' }) },
    ]);
    expect(counter(result.state)).toEqual({ capacity: 10, held: 0, sold: 0 });
    expect(result.state.buyerQuantities.get('alice')).toBe(0);
  });

  it('a hold is not expired before its expiry', () => {
    const state = withHold(2);
    const result = applyBatch(state, [expire(A)], context({ now: at(HOLD_TTL_SECONDS - 1) }));

    expect(result.outcomes).toEqual([{ orderId: A, kind: 'ignored', reason: 'not_due' }]);
    expect(result.state).toEqual(state);
  });

  it('only a held order expires: confirmed, released and unknown orders are left alone', () => {
    const state = applyBatch(
      shardState({ ga: 10 }),
      [purchase(A, 'alice', 1), purchase(B, 'bob', 1), paid(A, 'p1', 2500), release(B, 'bob')],
      context(),
    ).state;
    const result = applyBatch(
      state,
      [expire(A), expire(B), expire(C)],
      context({ now: at(HOLD_TTL_SECONDS * 2) }),
    );

    expect(result.outcomes).toEqual([
      { orderId: A, kind: 'ignored', reason: 'not_held', current: state.orders.get(A) },
      { orderId: B, kind: 'ignored', reason: 'not_held', current: state.orders.get(B) },
      { orderId: C, kind: 'ignored', reason: 'unknown_order' },
    ]);
    expect(result.state).toEqual(state);
  });
});

describe('applyBatch: payments', () => {
  it("a payment of the order's amount confirms it with exactly one ticket per seat", () => {
    const result = applyBatch(withHold(3), [paid(A, 'p1', 7500)], context({ now: at(30) }));

    expect(result.outcomes).toEqual([
      {
        orderId: A,
        kind: 'confirmed',
        order: expect.objectContaining({ status: 'CONFIRMED' }),
        tickets: result.tickets,
      },
    ]);
    expect(result.tickets.map((t) => [t.orderId, t.ticketType, t.seq])).toEqual([
      [A, 'ga', 1],
      [A, 'ga', 2],
      [A, 'ga', 3],
    ]);
    expect(new Set(result.tickets.map((t) => t.code)).size).toBe(3);
    expect(counter(result.state)).toEqual({ capacity: 10, held: 0, sold: 3 });
    expect(result.state.buyerQuantities.get('alice')).toBe(3);
    expect(result.state.processedPayments).toEqual(new Set(['p1']));
  });

  it('a redelivered provider event is ignored and issues no second set of tickets', () => {
    const state = applyBatch(withHold(2), [paid(A, 'p1', 5000)], context()).state;
    const again = applyBatch(state, [paid(A, 'p1', 5000), paid(A, 'p1', 5000)], context());

    const confirmed = state.orders.get(A);
    expect(confirmed?.status).toBe('CONFIRMED');
    expect(again.outcomes).toEqual([
      { orderId: A, kind: 'ignored', reason: 'duplicate_payment', current: confirmed },
      { orderId: A, kind: 'ignored', reason: 'duplicate_payment', current: confirmed },
    ]);
    expect(again.tickets).toEqual([]);
    expect(again.state).toEqual(state);
  });

  it('a second provider event for a confirmed order issues no more tickets', () => {
    const result = applyBatch(withHold(2), [paid(A, 'p1', 5000), paid(A, 'p2', 5000)], context());
    expect(result.outcomes.map((o) => ('reason' in o ? o.reason : o.kind))).toEqual([
      'confirmed',
      'not_held',
    ]);
    expect(result.tickets).toHaveLength(2);
    expect(counter(result.state)).toEqual({ capacity: 10, held: 0, sold: 2 });
  });

  it('a payment after the hold expired requires a refund and leaves the inventory alone', () => {
    const expired = applyBatch(withHold(2), [expire(A)], context({ now: at(HOLD_TTL_SECONDS) })).state;
    const result = applyBatch(expired, [paid(A, 'p1', 5000)], context({ now: at(HOLD_TTL_SECONDS + 60) }));

    expect(result.outcomes).toEqual([
      { orderId: A, kind: 'refund_required', order: expect.objectContaining({ status: 'REFUND_REQUIRED' }) },
    ]);
    expect(result.tickets).toEqual([]);
    expect(result.state.counters).toEqual(expired.counters);
    expect(result.state.buyerQuantities).toEqual(expired.buyerQuantities);
  });

  it('a payment for a hold past its expiry that the sweeper has not reached expires it, then requires a refund', () => {
    const result = applyBatch(withHold(2), [paid(A, 'p1', 5000)], context({ now: at(HOLD_TTL_SECONDS + 1) }));

    expect(result.outcomes).toEqual([
      { orderId: A, kind: 'refund_required', order: expect.objectContaining({ status: 'REFUND_REQUIRED' }) },
    ]);
    expect(result.tickets).toEqual([]);
    expect(counter(result.state)).toEqual({ capacity: 10, held: 0, sold: 0 });
    expect(result.state.buyerQuantities.get('alice')).toBe(0);
    expect(result.changedOrders.map((o) => o.status)).toEqual(['REFUND_REQUIRED']);
  });

  it('a payment after the buyer released the hold requires a refund', () => {
    const result = applyBatch(withHold(2), [release(A, 'alice'), paid(A, 'p1', 5000)], context());
    expect(result.outcomes.map((o) => o.kind)).toEqual(['released', 'refund_required']);
    expect(counter(result.state)).toEqual({ capacity: 10, held: 0, sold: 0 });
  });

  it('a payment of another amount or currency is ignored and the hold stays', () => {
    const state = withHold(2);
    const result = applyBatch(state, [paid(A, 'p1', 4999), paid(A, 'p2', 5000, 'USD')], context());

    expect(result.outcomes).toEqual([
      { orderId: A, kind: 'ignored', reason: 'amount_mismatch' },
      { orderId: A, kind: 'ignored', reason: 'amount_mismatch' },
    ]);
    expect(result.tickets).toEqual([]);
    expect(result.state.orders.get(A)).toEqual(state.orders.get(A));
    expect(result.state.counters).toEqual(state.counters);
  });

  it('a payment for an unknown order is ignored without using up its provider event id', () => {
    const result = applyBatch(shardState({ ga: 10 }), [paid(A, 'p1', 2500)], context());
    expect(result.outcomes).toEqual([{ orderId: A, kind: 'ignored', reason: 'unknown_order' }]);
    expect(result.state.processedPayments.size).toBe(0);
  });

  it('a failed payment releases the hold', () => {
    const result = applyBatch(withHold(2), [failed(A, 'p1')], context());

    expect(result.outcomes).toEqual([
      { orderId: A, kind: 'released', order: expect.objectContaining({ status: 'RELEASED' }) },
    ]);
    expect(counter(result.state)).toEqual({ capacity: 10, held: 0, sold: 0 });
    expect(result.state.buyerQuantities.get('alice')).toBe(0);
  });

  it('a failed payment for a hold past its expiry reports the expiry it caused', () => {
    const result = applyBatch(withHold(2), [failed(A, 'p1')], context({ now: at(HOLD_TTL_SECONDS) }));

    expect(result.outcomes).toEqual([
      { orderId: A, kind: 'expired', order: expect.objectContaining({ status: 'EXPIRED' }) },
    ]);
    expect(counter(result.state)).toEqual({ capacity: 10, held: 0, sold: 0 });
  });

  it('a failed payment for a confirmed order changes nothing', () => {
    const state = applyBatch(withHold(2), [paid(A, 'p1', 5000)], context()).state;
    const result = applyBatch(state, [failed(A, 'p2')], context());

    expect(result.outcomes).toEqual([
      { orderId: A, kind: 'ignored', reason: 'not_held', current: state.orders.get(A) },
    ]);
    expect(result.state.orders).toEqual(state.orders);
    expect(result.state.counters).toEqual(state.counters);
  });
});

describe('applyBatch: a hold whose ticket type has no inventory on this shard', () => {
  it('is neither released, expired nor paid, and the payment stays unused for when it can apply', () => {
    const state = withHold(2);
    state.counters.delete('ga');
    const result = applyBatch(
      state,
      [release(A, 'alice'), expire(A), paid(A, 'p1', 5000), failed(A, 'p2')],
      context({ now: at(HOLD_TTL_SECONDS + 1) }),
    );
    expect(result.outcomes.map((o) => ('reason' in o ? o.reason : o.kind))).toEqual([
      'unknown_ticket_type',
      'unknown_ticket_type',
      'unknown_ticket_type',
      'unknown_ticket_type',
    ]);
    expect(result.state).toEqual(state);
  });
});

describe('applyBatch: the batch', () => {
  it('answers every command with exactly one outcome, in order', () => {
    const commands = [
      purchase(A, 'alice', 1),
      expire(B),
      purchase(B, 'bob', 1),
      release(A, 'bob'),
      paid(B, 'p1', 2500),
      failed(C, 'p2'),
    ];
    const result = applyBatch(shardState({ ga: 10 }), commands, context());
    expect(result.outcomes.map((o) => o.orderId)).toEqual(commands.map((c) => c.orderId));
  });

  it('does not mutate the state it was given', () => {
    const state = withHold(2);
    state.processedPayments.add('p0');
    const before = structuredClone(state);

    applyBatch(
      state,
      [
        purchase(B, 'bob', 1),
        release(A, 'alice'),
        purchase(C, 'carol', 1, { ticketType: 'free' }),
        paid(B, 'p1', 2500),
      ],
      context({ now: at(1) }),
    );

    expect(state).toEqual(before);
  });

  it('reports each changed order once, in its latest version', () => {
    const result = applyBatch(
      shardState({ ga: 10 }),
      [purchase(A, 'alice', 1), paid(A, 'p1', 2500), purchase(B, 'bob', 1), release(B, 'bob')],
      context(),
    );
    expect(result.changedOrders.map((o) => [o.id, o.status])).toEqual([
      [A, 'CONFIRMED'],
      [B, 'RELEASED'],
    ]);
  });
});

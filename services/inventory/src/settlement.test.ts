import { describe, expect, it } from '@jest/globals';
import { applyBatch, type ShardState } from './batch.ts';
import {
  context,
  expire,
  orderId,
  paid,
  PRICES,
  purchase,
  release,
  shardState,
  T0,
} from './batch.fixtures.ts';
import type { ShardCommand } from './messages.ts';
import { refusedCommandFate, rejectedOrder, settleBatch, type SettlementContext } from './settlement.ts';

const A = orderId(1);
const B = orderId(2);
const C = orderId(3);

const settleCtx = (overrides: Partial<SettlementContext> = {}): SettlementContext => ({
  shard: 0,
  now: T0,
  prices: PRICES,
  random: () => 0,
  ...overrides,
});

function settle(state: ShardState, commands: ShardCommand[], overrides: Partial<SettlementContext> = {}) {
  const result = applyBatch(state, commands, context({ perBuyerLimit: 10 }));
  return { result, settlement: settleBatch(commands, result, settleCtx(overrides)) };
}

/** A shard with one hold of 2 ga tickets by alice (order A). */
function withHold(): ShardState {
  return applyBatch(shardState({ ga: 2 }), [purchase(A, 'alice', 2)], context()).state;
}

describe('rejectedOrder', () => {
  it('records the request with its reason, no seats and no amount, final at once', () => {
    expect(rejectedOrder(purchase(A, 'alice', 3, { idempotencyKey: 'k1' }), 2, 'sold_out', T0)).toEqual({
      id: A,
      buyerId: 'alice',
      ticketType: 'ga',
      quantity: 3,
      idempotencyKey: 'k1',
      shard: 2,
      status: 'REJECTED',
      rejectReason: 'sold_out',
      amountMinor: 0,
      currency: 'XXX',
      createdAt: T0.toISOString(),
      expiresAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
    });
  });
});

describe('settleBatch', () => {
  it('moves a purchase sold out here to another shard with stock, marking this shard as visited', () => {
    const { settlement } = settle(withHold(), [purchase(B, 'bob', 1)], {
      stock: new Map([['ga', [0, 0, 5]]]),
    });
    expect(settlement.forwards).toEqual([
      { shard: 2, command: { ...purchase(B, 'bob', 1), visitedShards: [0] } },
    ]);
    expect(settlement.rejected).toEqual([]);
    expect(settlement.deadLetters).toEqual([]);
  });

  it('chooses the next shard by the same rule as purchase-api, with the shards already tried left out', () => {
    const command = { ...purchase(B, 'bob', 1), visitedShards: [1] };
    const stock = new Map([['ga', [0, 90, 10, 30]]]);
    const to = (draw: number) =>
      settle(withHold(), [command], { stock, random: () => draw }).settlement.forwards[0]?.shard;
    expect([to(0), to(0.2), to(0.3), to(0.99)]).toEqual([2, 2, 3, 3]);
    expect(settle(withHold(), [command], { stock }).settlement.forwards[0]?.command.visitedShards).toEqual([
      1, 0,
    ]);
  });

  it('rejects a purchase sold out everywhere it has not been, and one over the limit without looking further', () => {
    const visitedAll = { ...purchase(B, 'bob', 1), visitedShards: [1] };
    const { settlement } = settle(withHold(), [visitedAll], { stock: new Map([['ga', [0, 5]]]) });
    expect(settlement.forwards).toEqual([]);
    expect(settlement.rejected).toEqual([rejectedOrder(visitedAll, 0, 'sold_out', T0)]);

    const overLimit = applyBatch(shardState({ ga: 10 }), [purchase(C, 'carol', 5)], context());
    const settled = settleBatch(
      [purchase(C, 'carol', 5)],
      overLimit,
      settleCtx({ stock: new Map([['ga', [0, 50]]]) }),
    );
    expect(settled.forwards).toEqual([]);
    expect(settled.rejected.map((o) => o.rejectReason)).toEqual(['limit_reached']);
  });

  it('answers a purchase delivered twice in one batch once', () => {
    const { settlement } = settle(withHold(), [purchase(B, 'bob', 1), purchase(B, 'bob', 1)], {
      stock: new Map([['ga', [0, 5]]]),
    });
    expect(settlement.forwards).toHaveLength(1);
    const rejected = settle(withHold(), [purchase(B, 'bob', 1), purchase(B, 'bob', 1)]).settlement;
    expect(rejected.rejected.map((o) => o.id)).toEqual([B]);
  });

  it('records one REJECTED order per Idempotency-Key, none for a key a hold of the batch already has', () => {
    const commands = [
      purchase(A, 'alice', 2, { idempotencyKey: 'same' }),
      purchase(B, 'alice', 1, { idempotencyKey: 'same' }),
      purchase(C, 'bob', 5, { idempotencyKey: 'other' }),
      purchase(orderId(4), 'bob', 5, { idempotencyKey: 'other' }),
    ];
    const { settlement } = settle(shardState({ ga: 2 }), commands);
    // B's key is A's (held in this batch): B is a duplicate of A, so no row. C and D share a key.
    expect(settlement.rejected.map((o) => o.id)).toEqual([C]);
  });

  it('dead-letters a purchase whose ticket type the event does not have, which no order row can name', () => {
    const { settlement } = settle(shardState({ ga: 10 }), [
      purchase(A, 'alice', 1, { ticketType: 'balcony' }),
    ]);
    expect(settlement.rejected).toEqual([]);
    expect(settlement.deadLetters).toEqual([
      { index: 0, reason: expect.stringMatching(/^unknown_ticket_type: .*"balcony"/) },
    ]);
  });

  it('records a purchase for a ticket type of the event that this shard has no inventory for', () => {
    const { settlement } = settle(shardState({ ga: 10 }), [purchase(A, 'alice', 1, { ticketType: 'vip' })]);
    expect(settlement.rejected.map((o) => [o.id, o.rejectReason])).toEqual([[A, 'unknown_ticket_type']]);
    expect(settlement.deadLetters).toEqual([]);
  });

  it("dead-letters a purchase whose order id is another event's order", () => {
    const state = { ...shardState({ ga: 10 }), foreignOrderIds: new Set([A]) };
    const { result, settlement } = settle(state, [purchase(A, 'alice', 1)]);
    expect(result.outcomes).toEqual([{ orderId: A, kind: 'rejected', reason: 'order_id_taken' }]);
    expect(settlement.rejected).toEqual([]);
    expect(settlement.deadLetters).toEqual([
      { index: 0, reason: expect.stringMatching(/^order_id_taken: /) },
    ]);
  });

  it('dead-letters lifecycle commands that can never apply, with the reason', () => {
    const { settlement } = settle(withHold(), [
      release(A, 'mallory'),
      paid(B, 'p1', 5000),
      expire(C),
      paid(A, 'p2', 1),
    ]);
    expect(settlement.deadLetters).toEqual([
      { index: 0, reason: expect.stringMatching(/^not_owner: .*mallory/) },
      { index: 1, reason: expect.stringMatching(/^unknown_order: payment.confirmed names order/) },
      { index: 2, reason: expect.stringMatching(/^unknown_order: hold.expire names order/) },
      { index: 3, reason: expect.stringMatching(/^amount_mismatch: /) },
    ]);
  });

  it('leaves commands whose work is already done alone: a second expiry, a redelivered payment, an early expiry', () => {
    const state = applyBatch(withHold(), [paid(A, 'p1', 5000)], context()).state;
    const { settlement } = settle(state, [expire(A), paid(A, 'p1', 5000), release(A, 'alice')]);
    expect(settlement).toEqual({ forwards: [], rejected: [], deadLetters: [] });
    expect(settle(withHold(), [expire(A)]).settlement.deadLetters).toEqual([]);
  });
});

describe('refusedCommandFate', () => {
  it('turns a purchase the database refused into a REJECTED order, without the database words', () => {
    const command = purchase(A, 'alice', 1);
    expect(refusedCommandFate(command, { shard: 1, now: T0 }, '22021: invalid byte sequence')).toEqual({
      kind: 'reject',
      outcome: { orderId: A, kind: 'rejected', reason: 'cannot_apply' },
      order: rejectedOrder(command, 1, 'cannot_apply', T0),
    });
  });

  it('dead-letters any other refused command with the database reason', () => {
    expect(refusedCommandFate(release(A, 'alice'), { shard: 0, now: T0 }, '23514: check violated')).toEqual({
      kind: 'dead-letter',
      outcome: { orderId: A, kind: 'ignored', reason: 'cannot_apply' },
      reason: expect.stringMatching(/^cannot_apply: .*release.requested.*23514: check violated$/),
    });
  });
});

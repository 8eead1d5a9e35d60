import { describe, expect, it } from '@jest/globals';
import { applyBatch, type Outcome, type ShardState } from './batch.ts';
import {
  at,
  context,
  expire,
  failed,
  HOLD_TTL_SECONDS,
  orderId,
  paid,
  purchase,
  recordRejections,
  release,
  shardState,
} from './batch.fixtures.ts';
import type { ShardCommand } from './messages.ts';
import { reannouncement } from './reannouncement.ts';

const A = orderId(1);
const B = orderId(2);
const C = orderId(3);
const D = orderId(4);
const E = orderId(5);

/** The order events a batch's changes announce, as the allocator names them. */
const announced = (outcomes: Outcome[]): string[] =>
  outcomes.flatMap((o) =>
    o.kind === 'held' ||
    o.kind === 'confirmed' ||
    o.kind === 'released' ||
    o.kind === 'expired' ||
    o.kind === 'refund_required'
      ? [`${o.orderId} order.${o.kind}`]
      : [],
  );

/** The same commands applied again (Kafka redelivering the batch): what each announces again. */
const redelivered = (state: ShardState, commands: ShardCommand[], now = at(0)): string[] =>
  applyBatch(state, commands, context({ now })).outcomes.flatMap((o, i) => {
    const again = reannouncement(commands[i]!, o);
    return again ? [`${again.order.id} ${again.kind}`] : [];
  });

describe('reannouncement: a command applied again announces what it did the first time', () => {
  it('for purchases (a hold, free tickets confirmed at once), releases and payments', () => {
    const buys = [
      purchase(A, 'alice', 2),
      purchase(B, 'bob', 1),
      purchase(C, 'carol', 1, { ticketType: 'free' }),
    ];
    const first = applyBatch(shardState({ ga: 10, free: 10 }), buys, context());
    const lifecycle = [release(A, 'alice'), paid(B, 'p1', 2500)];
    const second = applyBatch(first.state, lifecycle, context());

    expect(redelivered(second.state, buys)).toEqual(announced(first.outcomes));
    expect(redelivered(second.state, lifecycle)).toEqual(announced(second.outcomes));
    expect(announced(second.outcomes)).toEqual([`${A} order.released`, `${B} order.confirmed`]);
  });

  it('keeps what the first application announced, not what the order became later', () => {
    const buy = [purchase(A, 'alice', 2)];
    const first = applyBatch(shardState({ ga: 10 }), buy, context());
    const paidState = applyBatch(first.state, [paid(A, 'p1', 5000)], context()).state;
    const again = applyBatch(paidState, buy, context({ now: at(60) })).outcomes[0]!;
    expect(paidState.orders.get(A)?.status).toBe('CONFIRMED');
    // The hold, as it was made and when: not the confirmation, and not the time of the redelivery.
    expect(reannouncement(buy[0]!, again)).toMatchObject({
      kind: 'order.held',
      order: { id: A, status: 'HELD' },
      at: at(0).toISOString(),
    });
  });

  it('for expiries, failed payments and a payment that came too late (refund required)', () => {
    const buys = [purchase(D, 'dora', 1), purchase(E, 'emil', 1)];
    const first = applyBatch(shardState({ ga: 10 }), buys, context());
    const late = at(HOLD_TTL_SECONDS + 1);
    const lifecycle = [expire(D), paid(E, 'p-late', 2500)];
    const second = applyBatch(first.state, lifecycle, context({ now: late }));
    expect(announced(second.outcomes)).toEqual([`${D} order.expired`, `${E} order.refund_required`]);
    expect(redelivered(second.state, lifecycle, late)).toEqual(announced(second.outcomes));

    const declined = [purchase(A, 'alice', 1)];
    const held = applyBatch(second.state, declined, context()).state;
    const failure = [failed(A, 'p-declined')];
    const afterFailure = applyBatch(held, failure, context());
    expect(redelivered(afterFailure.state, failure)).toEqual([`${A} order.released`]);
  });

  it('for a rejection recorded as a REJECTED order', () => {
    const buys = [purchase(A, 'alice', 3), purchase(B, 'bob', 3)];
    const ctx = context();
    const first = applyBatch(shardState({ ga: 4 }), buys, ctx);
    const state = recordRejections(first, buys, ctx);
    expect(redelivered(state, buys)).toEqual([`${A} order.held`, `${B} order.rejected`]);
  });

  it('announces nothing for a command that never changed the order (someone else did)', () => {
    const buy = [purchase(A, 'alice', 2)];
    const paidState = applyBatch(
      applyBatch(shardState({ ga: 10 }), buy, context()).state,
      [paid(A, 'p1', 5000)],
      context(),
    ).state;
    // The release arrived after the payment: it never released anything, so it announces nothing.
    expect(redelivered(paidState, [release(A, 'alice'), expire(A), failed(A, 'p2')])).toEqual([]);
    // An unknown order, another buyer's release: nothing to announce.
    expect(redelivered(paidState, [release(B, 'bob'), release(A, 'mallory')])).toEqual([]);
  });
});

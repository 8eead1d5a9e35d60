import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { applyBatch, type BatchContext, type ShardState } from './batch.ts';
import {
  at,
  context,
  expire,
  failed,
  orderId,
  paid,
  PRICES,
  purchase,
  recordRejections,
  release,
  sequentialCodes,
  shardState,
} from './batch.fixtures.ts';
import type { ShardCommand } from './messages.ts';
import { countsTowardLimit, OrderStatus, type Order, type Ticket } from './orders.ts';

/**
 * One shard of an event, driven by random batches of commands from several buyers while time
 * moves on. An order id always carries the same request (as in production, where purchase-api
 * mints it once), but requests share Idempotency-Keys, are delivered more than once, and
 * lifecycle commands come late, twice, from the wrong buyer, or for orders that do not exist.
 */
const HOLD_TTL = 60;
const BUYERS = ['b0', 'b1', 'b2', 'b3'];
const POOL = 6;
/** An order held on shard 1 of the same event: commands for it must not move this shard. */
const FOREIGN = orderId(100);
/** An order id no purchase ever used. */
const NEVER = orderId(200);

interface Request {
  buyer: number;
  key: number;
  ticketType: 'ga' | 'free';
  quantity: number;
}

type Step =
  | { kind: 'purchase'; order: number }
  | { kind: 'release'; order: number; buyer: number | 'owner' }
  | { kind: 'expire'; order: number }
  | { kind: 'pay'; order: number; provider: number; amount: 'exact' | 'short' | 'currency' }
  | { kind: 'fail'; order: number; provider: number };

interface Batch {
  advanceSeconds: number;
  steps: Step[];
  redelivered: boolean;
}

/** Indexes 0..POOL-1 are the pool's orders, POOL is the foreign order. */
const orderIndex = fc.integer({ min: 0, max: POOL });
const provider = fc.integer({ min: 0, max: 5 });

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('purchase' as const), order: orderIndex }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('release' as const),
      order: orderIndex,
      buyer: fc.oneof(fc.constant('owner' as const), fc.integer({ min: 0, max: BUYERS.length - 1 })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('expire' as const), order: orderIndex }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      order: orderIndex,
      provider,
      amount: fc.constantFrom('exact' as const, 'exact' as const, 'short' as const, 'currency' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fail' as const), order: orderIndex, provider }) },
);

const scenario = fc.record({
  capacities: fc.record({ ga: fc.integer({ min: 0, max: 12 }), free: fc.integer({ min: 0, max: 4 }) }),
  perBuyerLimit: fc.integer({ min: 1, max: 5 }),
  requests: fc.array(
    fc.record<Request>({
      buyer: fc.integer({ min: 0, max: BUYERS.length - 1 }),
      key: fc.integer({ min: 0, max: 3 }),
      ticketType: fc.constantFrom('ga' as const, 'ga' as const, 'free' as const),
      // Mostly small orders; sometimes more than any limit allows.
      quantity: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 1, max: 2 }) },
        { weight: 1, arbitrary: fc.integer({ min: 3, max: 6 }) },
      ),
    }),
    { minLength: POOL, maxLength: POOL },
  ),
  batches: fc.array(
    fc.record<Batch>({
      advanceSeconds: fc.integer({ min: 0, max: 2 * HOLD_TTL + 10 }),
      steps: fc.array(step, { minLength: 1, maxLength: 12 }),
      redelivered: fc.boolean(),
    }),
    { minLength: 1, maxLength: 10 },
  ),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

function initialState(s: Scenario): ShardState {
  const state = shardState(s.capacities);
  const foreign: Order = {
    id: FOREIGN,
    buyerId: 'b0',
    ticketType: 'ga',
    quantity: 1,
    idempotencyKey: 'elsewhere',
    shard: 1,
    status: OrderStatus.Held,
    amountMinor: 2500,
    currency: 'EUR',
    createdAt: at(0).toISOString(),
    expiresAt: at(HOLD_TTL).toISOString(),
    updatedAt: at(0).toISOString(),
  };
  state.orders.set(FOREIGN, foreign);
  state.idempotency.set(`b0\nelsewhere`, FOREIGN);
  state.buyerQuantities.set('b0', 1);
  return state;
}

/** Turns steps into commands. Kafka keeps a partition in order, so a lifecycle command for an
 * order never precedes that order's purchase: until it has been requested, it is an unknown id. */
function toCommands(steps: Step[], s: Scenario, state: ShardState, requested: Set<string>): ShardCommand[] {
  return steps.map((step) => {
    const id = step.order === POOL ? FOREIGN : orderId(step.order + 1);
    const request: Request = s.requests[step.order] ?? { buyer: 0, key: 0, ticketType: 'ga', quantity: 1 };
    const owner = BUYERS[request.buyer]!;
    if (step.kind === 'purchase') {
      requested.add(id);
      return purchase(id, owner, request.quantity, {
        ticketType: request.ticketType,
        idempotencyKey: step.order === POOL ? 'elsewhere' : `k${request.key}`,
      });
    }
    const target = step.order === POOL || requested.has(id) ? id : NEVER;
    switch (step.kind) {
      case 'release':
        return release(target, step.buyer === 'owner' ? owner : BUYERS[step.buyer]!);
      case 'expire':
        return expire(target);
      case 'fail':
        return failed(target, `p${step.provider}`);
      case 'pay': {
        const amount =
          state.orders.get(target)?.amountMinor ??
          PRICES.get(request.ticketType)!.priceMinor * request.quantity;
        if (step.amount === 'short') return paid(target, `p${step.provider}`, amount + 1);
        return paid(target, `p${step.provider}`, amount, step.amount === 'currency' ? 'USD' : 'EUR');
      }
    }
  });
}

function checkInvariants(state: ShardState, perBuyerLimit: number, tickets: Ticket[]): void {
  const orders = [...state.orders.values()];
  for (const [type, counter] of state.counters) {
    const here = orders.filter((o) => o.shard === 0 && o.ticketType === type);
    const sum = (status: OrderStatus) =>
      here.filter((o) => o.status === status).reduce((n, o) => n + o.quantity, 0);
    const remaining = counter.capacity - counter.held - counter.sold;
    expect(counter.held).toBeGreaterThanOrEqual(0);
    expect(counter.sold).toBeGreaterThanOrEqual(0);
    expect(remaining).toBeGreaterThanOrEqual(0);
    expect(counter.held + counter.sold + remaining).toBe(counter.capacity);
    expect({ type, held: counter.held }).toEqual({ type, held: sum(OrderStatus.Held) });
    expect({ type, sold: counter.sold }).toEqual({ type, sold: sum(OrderStatus.Confirmed) });
  }

  const buyers = new Set([...state.buyerQuantities.keys(), ...orders.map((o) => o.buyerId)]);
  for (const buyer of buyers) {
    const active = orders
      .filter((o) => o.buyerId === buyer && countsTowardLimit(o.status))
      .reduce((n, o) => n + o.quantity, 0);
    expect({ buyer, active }).toEqual({ buyer, active: state.buyerQuantities.get(buyer) ?? 0 });
    expect(active).toBeLessThanOrEqual(perBuyerLimit);
  }

  expect(new Set(tickets.map((t) => t.code)).size).toBe(tickets.length);
  for (const order of orders) {
    const issued = tickets.filter((t) => t.orderId === order.id);
    if (order.status === OrderStatus.Confirmed) {
      expect(issued.map((t) => t.seq)).toEqual(Array.from({ length: order.quantity }, (_, i) => i + 1));
      expect(issued.every((t) => t.ticketType === order.ticketType)).toBe(true);
    } else {
      expect({ order: order.id, status: order.status, issued }).toEqual({
        order: order.id,
        status: order.status,
        issued: [],
      });
    }
  }
  const known = new Set(orders.map((o) => o.id));
  expect(tickets.filter((t) => !known.has(t.orderId))).toEqual([]);
}

/** Maps compared as objects: jest fails to print a diff of structuredClone'd Maps (it throws). */
const plain = <V>(map: Map<string, V>): Record<string, V> => Object.fromEntries(map);

const CHANGING = new Set(['held', 'confirmed', 'released', 'expired', 'refund_required']);

function run(s: Scenario): { state: ShardState; seconds: number } {
  let state = initialState(s);
  let seconds = 0;
  const tickets: Ticket[] = [];
  const requested = new Set<string>();
  const newTicketCode = sequentialCodes();

  for (const batch of s.batches) {
    seconds += batch.advanceSeconds;
    const ctx: BatchContext = context({
      now: at(seconds),
      holdTtlSeconds: HOLD_TTL,
      perBuyerLimit: s.perBuyerLimit,
      newTicketCode,
    });
    const commands = toCommands(batch.steps, s, state, requested);
    const result = applyBatch(state, commands, ctx);

    // Exactly one outcome per command, about that command's order.
    expect(result.outcomes.map((o) => o.orderId)).toEqual(commands.map((c) => c.orderId));
    // An outcome that says nothing happened changed nothing, and what changed is reported.
    const changedIds = new Set(result.outcomes.filter((o) => CHANGING.has(o.kind)).map((o) => o.orderId));
    expect(result.changedOrders.map((o) => o.id).filter((id) => !changedIds.has(id))).toEqual([]);
    for (const order of result.changedOrders) expect(result.state.orders.get(order.id)).toEqual(order);
    // Tickets only in the batch that confirms an order, never for an order that already has some.
    const ticketed = new Set(tickets.map((t) => t.orderId));
    expect(result.tickets.filter((t) => ticketed.has(t.orderId))).toEqual([]);
    result.outcomes.forEach((o, i) => {
      if (o.kind === 'confirmed') expect(o.tickets).toHaveLength(o.order.quantity);
      // A payment confirms only a hold that has not expired; a late one asks for a refund.
      if (o.kind === 'confirmed' && commands[i]!.kind === 'payment.confirmed')
        expect(ctx.now.getTime()).toBeLessThan(Date.parse(o.order.expiresAt));
      if (o.kind === 'refund_required') expect(commands[i]!.kind).toBe('payment.confirmed');
    });
    tickets.push(...result.tickets);

    state = recordRejections(result, commands, ctx);
    checkInvariants(state, s.perBuyerLimit, tickets);

    // Redelivery: the committed batch comes again (offsets were not committed before a crash).
    const again = applyBatch(state, commands, { ...ctx, newTicketCode: sequentialCodes('R') });
    expect(again.outcomes.map((o) => o.orderId)).toEqual(commands.map((c) => c.orderId));
    expect(
      again.outcomes.filter((o, i) => commands[i]!.kind === 'purchase.requested' && o.kind !== 'duplicate'),
    ).toEqual([]);
    expect(plain(again.state.counters)).toEqual(plain(state.counters));
    expect(plain(again.state.buyerQuantities)).toEqual(plain(state.buyerQuantities));
    expect(plain(again.state.orders)).toEqual(plain(state.orders));
    expect(again.changedOrders).toEqual([]);
    expect(again.tickets).toEqual([]);
    if (batch.redelivered) state = recordRejections(again, commands, ctx);
  }
  return { state, seconds };
}

describe('applyBatch under random interleavings', () => {
  it('keeps held + sold + remaining = capacity, buyer limits and ticket uniqueness after every batch, and redelivery changes nothing', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        run(s);
      }),
      { numRuns: 400 },
    );
  });

  it('once every hold has expired, each shard seat is either sold or back on sale', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { state, seconds } = run(s);
        const holds = [...state.orders.values()].filter(
          (o) => o.shard === 0 && o.status === OrderStatus.Held,
        );
        const result = applyBatch(
          state,
          holds.map((o) => expire(o.id)),
          context({ now: at(seconds + HOLD_TTL), holdTtlSeconds: HOLD_TTL, perBuyerLimit: s.perBuyerLimit }),
        );

        expect(result.outcomes.map((o) => o.kind)).toEqual(holds.map(() => 'expired'));
        for (const [type, counter] of result.state.counters) {
          expect({ type, held: counter.held, sold: counter.sold }).toEqual({
            type,
            held: 0,
            sold: state.counters.get(type)!.sold,
          });
        }
      }),
      { numRuns: 200 },
    );
  });
});

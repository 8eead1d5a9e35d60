// Builders shared by the batch unit and property tests (not exported from the package index).
import {
  idempotencyIndexKey,
  type BatchContext,
  type BatchResult,
  type Counter,
  type ShardState,
} from './batch.ts';
import type {
  HoldExpiryDue,
  PaymentConfirmed,
  PaymentFailed,
  PurchaseRequested,
  ReleaseRequested,
  ShardCommand,
} from './messages.ts';
import { settleBatch } from './settlement.ts';

export const T0 = new Date('2026-06-01T10:00:00.000Z');
export const HOLD_TTL_SECONDS = 600;

/** `seconds` after T0. */
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

/** A valid UUIDv7-shaped id per number, readable in failures. */
export const orderId = (n: number): string => `0190a0b0-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

export const PRICES = new Map([
  ['ga', { priceMinor: 2500, currency: 'EUR' }],
  ['vip', { priceMinor: 10_000, currency: 'EUR' }],
  ['free', { priceMinor: 0, currency: 'EUR' }],
]);

export function shardState(capacities: Record<string, number>): ShardState {
  return {
    counters: new Map(
      Object.entries(capacities).map(([type, capacity]): [string, Counter] => [
        type,
        { capacity, held: 0, sold: 0 },
      ]),
    ),
    orders: new Map(),
    idempotency: new Map(),
    buyerQuantities: new Map(),
    processedPayments: new Set(),
    foreignOrderIds: new Set(),
    waiting: new Map(),
    entries: new Map(),
    waitingBuyers: new Set(),
    lastWaitingSeq: 0,
  };
}

/** Ticket codes from a counter, so a code issued twice would be the domain's doing. */
export function sequentialCodes(prefix = 'T'): () => string {
  let next = 0;
  return () => `${prefix}-${String(++next).padStart(6, '0')}`;
}

export function context(overrides: Partial<BatchContext> = {}): BatchContext {
  return {
    shard: 0,
    now: T0,
    holdTtlSeconds: HOLD_TTL_SECONDS,
    perBuyerLimit: 4,
    prices: PRICES,
    newTicketCode: sequentialCodes(),
    ...overrides,
  };
}

export function purchase(
  id: string,
  buyerId: string,
  quantity: number,
  options: { ticketType?: string; idempotencyKey?: string } = {},
): PurchaseRequested {
  return {
    v: 1,
    kind: 'purchase.requested',
    orderId: id,
    buyerId,
    ticketType: options.ticketType ?? 'ga',
    quantity,
    idempotencyKey: options.idempotencyKey ?? `key-${id}`,
    requestedAt: T0.toISOString(),
  };
}

export const release = (id: string, buyerId: string): ReleaseRequested => ({
  v: 1,
  kind: 'release.requested',
  orderId: id,
  buyerId,
});

export const expire = (id: string): HoldExpiryDue => ({ v: 1, kind: 'hold.expire', orderId: id });

export const paid = (
  id: string,
  providerEventId: string,
  amountMinor: number,
  currency = 'EUR',
): PaymentConfirmed => ({
  v: 1,
  kind: 'payment.confirmed',
  orderId: id,
  providerEventId,
  amountMinor,
  currency,
});

export const failed = (id: string, providerEventId: string): PaymentFailed => ({
  v: 1,
  kind: 'payment.failed',
  orderId: id,
  providerEventId,
  reason: 'card declined',
});

/**
 * What the store does after `applyBatch` on an event whose other shards have no stock: the domain's
 * settlement turns every rejected purchase into a REJECTED order (one per order id and per
 * Idempotency-Key), which the store writes, so a redelivered request or a retry gets the same answer.
 */
export function recordRejections(
  result: BatchResult,
  commands: ShardCommand[],
  ctx: Pick<BatchContext, 'shard' | 'now' | 'prices'>,
): ShardState {
  const state = structuredClone(result.state);
  const { rejected } = settleBatch(commands, result, { ...ctx, random: () => 0 });
  for (const order of rejected) {
    state.orders.set(order.id, order);
    state.idempotency.set(idempotencyIndexKey(order.buyerId, order.idempotencyKey), order.id);
  }
  return state;
}

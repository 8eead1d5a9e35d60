import {
  idempotencyIndexKey,
  type BatchContext,
  type BatchResult,
  type IgnoreReason,
  type Outcome,
  type RejectReason,
} from './batch.ts';
import type { PurchaseRequested, ShardCommand } from './messages.ts';
import { OrderStatus, type Order } from './orders.ts';
import { chooseShard } from './routing.ts';

/**
 * What becomes of the commands a batch did not turn into a change, decided here so the store only
 * persists and the allocator only sends: a purchase sold out on this shard moves to another shard
 * with stock or becomes a REJECTED order (so its 202 reaches a final state and an Idempotency-Key
 * retry gets the same answer); a command that can never apply is dead-lettered with the reason.
 */
export interface Settlement {
  /** Purchases to produce to another shard's partition (before the batch's offsets are committed). */
  forwards: { shard: number; command: PurchaseRequested }[];
  /** REJECTED orders to write in the batch's transaction. */
  rejected: Order[];
  /** Commands (by index in the batch) to send to the dead-letter topic. */
  deadLetters: { index: number; reason: string }[];
}

export interface SettlementContext extends Pick<BatchContext, 'shard' | 'now' | 'prices'> {
  /**
   * Remaining stock per ticket type and shard, read when `mayForward` says a batch needs it; without
   * it a sold-out purchase is rejected at once.
   */
  stock?: Map<string, readonly (number | undefined)[]>;
  random: () => number;
  /**
   * Ticket types removed from the event (off sale, but their rows stay): a purchase of one is
   * recorded as REJECTED `unknown_ticket_type`, not dead-lettered.
   */
  retiredTicketTypes?: ReadonlySet<string>;
}

/** Whether a rejection may move to another shard: only "sold out here", never a final reason. */
export function mayForward(outcome: Outcome): boolean {
  return outcome.kind === 'rejected' && outcome.reason === 'sold_out';
}

/**
 * Ignore reasons that mean the command can never apply on this shard (no such order here, not the
 * owner's, a payment of another amount) rather than that its work is already done.
 */
const cannotApply: Partial<Record<IgnoreReason, (command: ShardCommand) => string>> = {
  unknown_order: (c) => `unknown_order: ${c.kind} names order ${c.orderId}, which is not on this shard`,
  not_owner: (c) =>
    `not_owner: ${c.kind} by ${'buyerId' in c ? c.buyerId : '?'} for order ${c.orderId}, which is another buyer's`,
  amount_mismatch: (c) =>
    `amount_mismatch: ${c.kind} for order ${c.orderId} does not match the order's amount and currency`,
  unknown_ticket_type: (c) =>
    `unknown_ticket_type: ${c.kind} for order ${c.orderId}, whose ticket type has no inventory on this shard`,
  unknown_entry: (c) =>
    `unknown_entry: ${c.kind} names waiting-list entry ${c.orderId}, which is not on this shard`,
};

export function settleBatch(
  commands: readonly ShardCommand[],
  result: Pick<BatchResult, 'outcomes' | 'changedOrders'>,
  ctx: SettlementContext,
): Settlement {
  const settlement: Settlement = { forwards: [], rejected: [], deadLetters: [] };
  // One REJECTED row per order id and per (buyer, Idempotency-Key): a key reused under another
  // order id (possible only if the API lost its key cache) must not fail the batch on the unique key.
  const keys = new Set(result.changedOrders.map((o) => idempotencyIndexKey(o.buyerId, o.idempotencyKey)));
  const answered = new Set<string>();
  result.outcomes.forEach((outcome, index) => {
    const command = commands[index]!;
    if (outcome.kind === 'ignored') {
      const reason = cannotApply[outcome.reason]?.(command);
      if (reason) settlement.deadLetters.push({ index, reason });
      return;
    }
    if (outcome.kind !== 'rejected' || command.kind !== 'purchase.requested') return;
    // A copy delivered twice in one batch was answered with the first.
    if (answered.has(command.orderId)) return;
    answered.add(command.orderId);
    const unrecordable = unrecordableReason(command, outcome.reason, ctx);
    if (unrecordable) {
      settlement.deadLetters.push({ index, reason: unrecordable });
      return;
    }
    if (mayForward(outcome)) {
      const visited = [...new Set([...(command.visitedShards ?? []), ctx.shard])];
      const target = chooseShard(ctx.stock?.get(command.ticketType) ?? [], command.quantity, {
        random: ctx.random,
        exclude: visited,
      });
      if (target !== undefined) {
        settlement.forwards.push({ shard: target, command: { ...command, visitedShards: visited } });
        return;
      }
    }
    const key = idempotencyIndexKey(command.buyerId, command.idempotencyKey);
    if (keys.has(key)) return;
    keys.add(key);
    settlement.rejected.push(rejectedOrder(command, ctx.shard, outcome.reason, ctx.now));
  });
  return settlement;
}

/**
 * A purchase that cannot even be recorded as REJECTED: its id is another event's order, or its
 * ticket type is not in the event's catalog (an order row must name one).
 */
function unrecordableReason(
  command: PurchaseRequested,
  reason: RejectReason,
  ctx: Pick<SettlementContext, 'prices' | 'retiredTicketTypes'>,
): string | undefined {
  if (reason === 'order_id_taken')
    return `order_id_taken: order id ${command.orderId} belongs to another event's order`;
  if (!ctx.prices.has(command.ticketType) && !ctx.retiredTicketTypes?.has(command.ticketType))
    return `unknown_ticket_type: the event has no ticket type "${command.ticketType}"`;
  return undefined;
}

/** The record of a purchase that got no hold: no seats, no amount, final at once. */
export function rejectedOrder(
  command: PurchaseRequested,
  shard: number,
  reason: RejectReason,
  now: Date,
): Order {
  const at = now.toISOString();
  return {
    id: command.orderId,
    buyerId: command.buyerId,
    ticketType: command.ticketType,
    quantity: command.quantity,
    idempotencyKey: command.idempotencyKey,
    shard,
    status: OrderStatus.Rejected,
    rejectReason: reason,
    amountMinor: 0,
    // ISO 4217's code for "no currency".
    currency: 'XXX',
    createdAt: at,
    expiresAt: at,
    updatedAt: at,
    ...(command.channel ? { channel: command.channel } : {}),
  };
}

export type RefusedFate =
  | { kind: 'reject'; outcome: Outcome; order: Order }
  | { kind: 'dead-letter'; outcome: Outcome; reason: string };

/**
 * A command the database refused on its own, after its batch was split to find it (`detail` is
 * the database's message). A purchase becomes a REJECTED order, so whoever waits on it gets a
 * final answer without the database's words; any other command is dead-lettered with them.
 */
export function refusedCommandFate(
  command: ShardCommand,
  ctx: Pick<BatchContext, 'shard' | 'now'>,
  detail: string,
): RefusedFate {
  if (command.kind === 'purchase.requested')
    return {
      kind: 'reject',
      outcome: { orderId: command.orderId, kind: 'rejected', reason: 'cannot_apply' },
      order: rejectedOrder(command, ctx.shard, 'cannot_apply', ctx.now),
    };
  return {
    kind: 'dead-letter',
    outcome: { orderId: command.orderId, kind: 'ignored', reason: 'cannot_apply' },
    reason: `cannot_apply: the database refused ${command.kind} for order ${command.orderId}: ${detail}`,
  };
}

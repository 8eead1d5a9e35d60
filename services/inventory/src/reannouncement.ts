import type { Outcome } from './batch.ts';
import type { ShardCommand } from './messages.ts';
import type { OrderEvent } from './order-events.ts';
import { OrderStatus, type Order } from './orders.ts';

/** An order event to announce again, with the order as that change left it. */
export interface Reannouncement {
  kind: OrderEvent['kind'];
  order: Order;
  /** When the change was made (not when it is announced again). */
  at: string;
}

/**
 * The order event a command announced when it was first applied, for the same command applied
 * again. Kafka redelivers a batch whose transaction committed but whose order events never left
 * (the produce failed, the process died in between): without this, those events would be lost for
 * good, since a command applied again changes nothing and so announces nothing. `(orderId, kind)`
 * names an order event, so a consumer takes each once however often it is announced.
 *
 * Only what the order itself shows this command did: a repeated purchase announces the hold it
 * made (or its rejection), a repeated release, expiry or payment the status it left behind.
 * A waiting-list offer made by a repeated serve is not known here and is not announced again.
 */
export function reannouncement(command: ShardCommand, outcome: Outcome): Reannouncement | undefined {
  if (outcome.kind === 'duplicate') {
    if (command.kind !== 'purchase.requested') return undefined;
    const { order } = outcome;
    const at = order.createdAt;
    if (order.status === OrderStatus.Rejected) return { kind: 'order.rejected', order, at };
    // Free tickets were confirmed at once, with no hold in between.
    return order.amountMinor === 0
      ? { kind: 'order.confirmed', order: { ...order, status: OrderStatus.Confirmed }, at }
      : { kind: 'order.held', order: { ...order, status: OrderStatus.Held }, at };
  }
  if (outcome.kind !== 'ignored' || !outcome.current) return undefined;
  const announced = LIFECYCLE_EVENTS[outcome.current.status];
  return announced?.madeBy.includes(command.kind)
    ? { kind: announced.kind, order: outcome.current, at: outcome.current.updatedAt }
    : undefined;
}

/** The statuses lifecycle commands leave an order in, the event each announced, and who makes it. */
const LIFECYCLE_EVENTS: Partial<
  Record<OrderStatus, { kind: OrderEvent['kind']; madeBy: ShardCommand['kind'][] }>
> = {
  [OrderStatus.Released]: { kind: 'order.released', madeBy: ['release.requested', 'payment.failed'] },
  [OrderStatus.Expired]: { kind: 'order.expired', madeBy: ['hold.expire', 'payment.failed'] },
  [OrderStatus.Confirmed]: { kind: 'order.confirmed', madeBy: ['payment.confirmed'] },
  [OrderStatus.RefundRequired]: { kind: 'order.refund_required', madeBy: ['payment.confirmed'] },
};

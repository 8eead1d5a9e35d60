/**
 * Order lifecycle: HELD → CONFIRMED | EXPIRED | RELEASED; a payment after expiry → REFUND_REQUIRED.
 * REJECTED records a request that got no hold (sold out everywhere, limit reached), so an order
 * answered with 202 always reaches a final state, and an Idempotency-Key retry gets the same answer.
 */
export const OrderStatus = {
  Held: 'HELD',
  Confirmed: 'CONFIRMED',
  Expired: 'EXPIRED',
  Released: 'RELEASED',
  RefundRequired: 'REFUND_REQUIRED',
  Rejected: 'REJECTED',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

export interface Order {
  id: string;
  buyerId: string;
  ticketType: string;
  quantity: number;
  idempotencyKey: string;
  shard: number;
  status: OrderStatus;
  amountMinor: number;
  currency: string;
  createdAt: string;
  /** When an unpaid hold returns its seats to the shard. */
  expiresAt: string;
  updatedAt: string;
  /** The sales channel (`online` when absent: orders from before channels). */
  channel?: string;
  /** Why a REJECTED order got no hold. */
  rejectReason?: string;
}

export interface Ticket {
  code: string;
  orderId: string;
  ticketType: string;
  /** 1-based position within the order. */
  seq: number;
}

/** Seats an order occupies on its shard, by counter. */
export function occupancy(order: Pick<Order, 'status' | 'quantity'>): { held: number; sold: number } {
  if (order.status === OrderStatus.Held) return { held: order.quantity, sold: 0 };
  if (order.status === OrderStatus.Confirmed) return { held: 0, sold: order.quantity };
  return { held: 0, sold: 0 };
}

/** Orders that count against the buyer's per-event limit. */
export function countsTowardLimit(status: OrderStatus): boolean {
  return status === OrderStatus.Held || status === OrderStatus.Confirmed;
}

export function isFinal(status: OrderStatus): boolean {
  return status !== OrderStatus.Held;
}

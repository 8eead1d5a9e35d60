import type { OrderEvent } from './order-events.ts';
import { channelOf } from './sales-channel.ts';

/** Sales of one event, ticket type, channel, currency and minute: what the analytics projection adds up. */
export interface SalesDelta {
  namespace: string;
  name: string;
  ticketType: string;
  channel: string;
  /** The minute the changes happened in (ISO, seconds zeroed). */
  minute: string;
  currency: string;
  held: number;
  confirmed: number;
  expired: number;
  released: number;
  refundRequired: number;
  ticketsSold: number;
  revenueMinor: number;
}

/** Rejected orders of one event, ticket type, channel and minute, by reason. */
export interface RejectionDelta {
  namespace: string;
  name: string;
  ticketType: string;
  channel: string;
  minute: string;
  reason: string;
  orders: number;
}

/** What an event without a field (an older producer) is counted under. */
const UNKNOWN = 'unknown';
const NO_CURRENCY = 'XXX';

/** The identity of an order event: an order reaches each kind at most once. */
export const orderEventId = (event: Pick<OrderEvent, 'orderId' | 'kind'>): string =>
  `${event.orderId}/${event.kind}`;

export function minuteOf(at: string): string {
  const date = new Date(at);
  date.setUTCSeconds(0, 0);
  return date.toISOString();
}

/**
 * Folds order events into additive deltas, one row per key. The caller passes each event once
 * (de-duplicated by `orderEventId` against what was already applied), so adding the deltas to the
 * projection in any batching gives the same totals as replaying the topic from the beginning.
 */
export function salesDeltas(events: OrderEvent[]): { sales: SalesDelta[]; rejections: RejectionDelta[] } {
  const sales = new Map<string, SalesDelta>();
  const rejections = new Map<string, RejectionDelta>();
  for (const e of events) {
    const base = {
      namespace: e.event.namespace,
      name: e.event.name,
      ticketType: e.ticketType ?? UNKNOWN,
      channel: channelOf(e),
      minute: minuteOf(e.at),
    };
    if (e.kind === 'order.rejected') {
      const reason = e.reason ?? UNKNOWN;
      const key = JSON.stringify([base, reason]);
      const row = rejections.get(key) ?? { ...base, reason, orders: 0 };
      row.orders += 1;
      rejections.set(key, row);
      continue;
    }
    const currency = e.currency ?? NO_CURRENCY;
    const key = JSON.stringify([base, currency]);
    const row = sales.get(key) ?? {
      ...base,
      currency,
      held: 0,
      confirmed: 0,
      expired: 0,
      released: 0,
      refundRequired: 0,
      ticketsSold: 0,
      revenueMinor: 0,
    };
    switch (e.kind) {
      case 'order.held':
        row.held += 1;
        break;
      case 'order.confirmed':
        row.confirmed += 1;
        row.ticketsSold += e.quantity ?? 0;
        row.revenueMinor += e.amountMinor ?? 0;
        break;
      case 'order.expired':
        row.expired += 1;
        break;
      case 'order.released':
        row.released += 1;
        break;
      case 'order.refund_required':
        row.refundRequired += 1;
        break;
    }
    sales.set(key, row);
  }
  return { sales: [...sales.values()], rejections: [...rejections.values()] };
}

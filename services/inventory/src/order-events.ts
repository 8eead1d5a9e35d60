import { z } from 'zod';
import { salesChannel } from './sales-channel.ts';
import { parseMessage } from './messages.ts';

/**
 * What the allocators tell the world after each batch, on the shared order-events topic: one
 * message per change of an order (keyed by order id). Version 1; fields added later are optional,
 * and a reader ignores fields it does not know (not `strictObject`), so a v1 reader keeps working
 * when producers add one. An order reaches each kind at most once, so `(orderId, kind)` names an
 * event: what consumers de-duplicate on.
 */
export const orderEventKinds = [
  'order.held',
  'order.confirmed',
  'order.released',
  'order.expired',
  'order.refund_required',
  'order.rejected',
] as const;

export const orderEvent = z.object({
  v: z.literal(1),
  kind: z.enum(orderEventKinds),
  event: z.object({ namespace: z.string().min(1), name: z.string().min(1) }),
  orderId: z.uuid(),
  at: z.iso.datetime({ offset: true }),
  status: z.string().optional(),
  ticketType: z.string().min(1).optional(),
  quantity: z.int().min(1).optional(),
  /** Why a REJECTED order got no hold. */
  reason: z.string().optional(),
  // Added after the first version (absent in older events):
  channel: salesChannel.optional(),
  /** The order's amount (0 for a rejection). */
  amountMinor: z.int().min(0).optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  /** `waiting-list`: a hold offered to the first waiting buyer when seats came back. */
  source: z.literal('waiting-list').optional(),
});
export type OrderEvent = z.infer<typeof orderEvent>;

export type ParsedOrderEvent = { ok: true; event: OrderEvent } | { ok: false; reason: string };

/** Parses a raw order-events message; never throws (a consumer skips what it cannot read, with the reason). */
export function parseOrderEvent(value: Buffer | string | null): ParsedOrderEvent {
  const parsed = parseMessage(orderEvent, value);
  return parsed.ok ? { ok: true, event: parsed.value } : parsed;
}

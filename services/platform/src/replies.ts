import { z } from 'zod';

/**
 * The allocator's answer to the purchase-api instance waiting for an order (Redis pub/sub on the
 * instance's own channel). Losing one only turns a 201 into a 202: the order is in PostgreSQL.
 * A message carries a JSON array of the replies of one batch for that channel (one publish per
 * batch, not per order); a single object is accepted too.
 */
export const orderReply = z.object({
  orderId: z.uuid(),
  kind: z.enum([
    'held',
    'confirmed',
    'released',
    'expired',
    'refund_required',
    'duplicate',
    'rejected',
    'ignored',
    // Waiting lists: `status` is the entry's (WAITING, or OFFERED with the hold's `expiresAt`).
    'joined',
    'left',
  ]),
  reason: z.string().optional(),
  status: z.string().optional(),
  expiresAt: z.string().optional(),
  /** W3C traceparent of the allocator's batch span that decided it (absent when not traced). */
  traceparent: z.string().optional(),
});
export type OrderReply = z.infer<typeof orderReply>;

export function replyChannel(prefix: string, instanceId: string): string {
  return `${prefix}replies:${instanceId}`;
}

/** The valid replies in a channel message; anything malformed is skipped, never thrown. */
export function parseReplies(message: string): OrderReply[] {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return [];
  }
  return (Array.isArray(value) ? value : [value]).flatMap((item) => {
    const parsed = orderReply.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}

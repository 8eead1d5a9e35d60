import { z } from 'zod';

/**
 * The allocator's answer to the purchase-api instance waiting for an order (Redis pub/sub on the
 * instance's own channel). Losing one only turns a 201 into a 202: the order is in PostgreSQL.
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
  ]),
  reason: z.string().optional(),
  status: z.string().optional(),
  expiresAt: z.string().optional(),
});
export type OrderReply = z.infer<typeof orderReply>;

export function replyChannel(prefix: string, instanceId: string): string {
  return `${prefix}replies:${instanceId}`;
}

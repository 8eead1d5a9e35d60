import type { Order } from '@boxoffice/inventory';

/** An `orders` row as node-postgres returns it (bigint as string, timestamps as Date). */
export interface OrderRow {
  id: string;
  buyer_id: string;
  ticket_type: string;
  quantity: number;
  idempotency_key: string;
  shard: number;
  status: Order['status'];
  reject_reason: string | null;
  amount_minor: string;
  currency: string;
  created_at: Date;
  expires_at: Date;
  updated_at: Date;
  channel: string;
}

export function orderFromRow(row: OrderRow): Order {
  return {
    id: row.id,
    buyerId: row.buyer_id,
    ticketType: row.ticket_type,
    quantity: row.quantity,
    idempotencyKey: row.idempotency_key,
    shard: row.shard,
    status: row.status,
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    channel: row.channel,
    ...(row.reject_reason ? { rejectReason: row.reject_reason } : {}),
  };
}

import { z } from 'zod';
import { ticketTypeName } from './event.ts';
import { salesChannel } from './sales-channel.ts';

/**
 * Commands carried on an event's purchase topic. The partition is the shard, so every change of
 * a shard (holds, releases, expiry, payment) is applied by that shard's single writer. Payloads
 * are versioned JSON (`v`); a reader rejects versions it does not know instead of guessing.
 */
const base = { v: z.literal(1), orderId: z.uuid() };

export const purchaseRequested = z.strictObject({
  ...base,
  kind: z.literal('purchase.requested'),
  buyerId: z.string().min(1).max(200),
  ticketType: ticketTypeName,
  quantity: z.int().min(1).max(100),
  idempotencyKey: z.string().min(1).max(200),
  requestedAt: z.iso.datetime({ offset: true }),
  /** Redis channel of the purchase-api instance waiting for the outcome. */
  replyTo: z.string().max(200).optional(),
  /** Shards that already found themselves sold out for this request (it moves on to another). */
  visitedShards: z.array(z.int().min(0).max(255)).max(256).optional(),
  /** Where the order was sold (absent in commands from before channels: `online`). */
  channel: salesChannel.optional(),
});

export const releaseRequested = z.strictObject({
  ...base,
  kind: z.literal('release.requested'),
  buyerId: z.string().min(1).max(200),
  replyTo: z.string().max(200).optional(),
});

export const holdExpiryDue = z.strictObject({ ...base, kind: z.literal('hold.expire') });

export const paymentConfirmed = z.strictObject({
  ...base,
  kind: z.literal('payment.confirmed'),
  providerEventId: z.string().min(1).max(200),
  amountMinor: z.int().min(0),
  currency: z.string().regex(/^[A-Z]{3}$/),
});

export const paymentFailed = z.strictObject({
  ...base,
  kind: z.literal('payment.failed'),
  providerEventId: z.string().min(1).max(200),
  reason: z.string().max(500),
});

/**
 * A buyer joins a sold-out ticket type's waiting list on this shard (waiting-list.ts). `orderId` is
 * the entry's id and the id of the hold it becomes when seats come back.
 */
export const waitingListJoin = z.strictObject({
  ...base,
  kind: z.literal('waiting-list.join'),
  buyerId: z.string().min(1).max(200),
  ticketType: ticketTypeName,
  quantity: z.int().min(1).max(100),
  requestedAt: z.iso.datetime({ offset: true }),
  replyTo: z.string().max(200).optional(),
  channel: salesChannel.optional(),
});

/** The buyer leaves the waiting list (`orderId`: the entry's id). */
export const waitingListLeave = z.strictObject({
  ...base,
  kind: z.literal('waiting-list.leave'),
  buyerId: z.string().min(1).max(200),
  replyTo: z.string().max(200).optional(),
});

/**
 * Offer what the shard has left of a ticket type to its waiting list: sent when seats appeared
 * without a command of the shard freeing them (capacity grew). `orderId` only names the command.
 */
export const waitingListServe = z.strictObject({
  ...base,
  kind: z.literal('waiting-list.serve'),
  ticketType: ticketTypeName,
});

export const shardCommand = z.discriminatedUnion('kind', [
  purchaseRequested,
  releaseRequested,
  holdExpiryDue,
  paymentConfirmed,
  paymentFailed,
  waitingListJoin,
  waitingListLeave,
  waitingListServe,
]);

export type PurchaseRequested = z.infer<typeof purchaseRequested>;
export type ReleaseRequested = z.infer<typeof releaseRequested>;
export type HoldExpiryDue = z.infer<typeof holdExpiryDue>;
export type PaymentConfirmed = z.infer<typeof paymentConfirmed>;
export type PaymentFailed = z.infer<typeof paymentFailed>;
export type WaitingListJoin = z.infer<typeof waitingListJoin>;
export type WaitingListLeave = z.infer<typeof waitingListLeave>;
export type WaitingListServe = z.infer<typeof waitingListServe>;
export type ShardCommand = z.infer<typeof shardCommand>;

export type ParsedCommand = { ok: true; command: ShardCommand } | { ok: false; reason: string };

/**
 * Parses a raw message value against a schema; never throws: a message that is not JSON or does
 * not match comes back with its reason (for a dead letter or a skip).
 */
export function parseMessage<T>(
  schema: z.ZodType<T>,
  value: Buffer | string | null,
): { ok: true; value: T } | { ok: false; reason: string } {
  if (value === null) return { ok: false, reason: 'empty message value' };
  let json: unknown;
  try {
    json = JSON.parse(value.toString());
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    reason: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
  };
}

/**
 * Parses a raw message; never throws, so a malformed message is dead-lettered with its reason.
 * Commands are keyed by their order id (purchase-api, the expiry sweeper and forwards all do): a
 * key naming something else means the message was not made as a command of this order, so it is
 * refused rather than applied to the order its body names. A message without a key is judged by
 * its body alone.
 */
export function parseShardCommand(
  value: Buffer | string | null,
  key?: Buffer | string | null,
): ParsedCommand {
  const parsed = parseMessage(shardCommand, value);
  if (!parsed.ok) return parsed;
  const keyText = key === null || key === undefined ? undefined : key.toString();
  if (keyText !== undefined && keyText !== parsed.value.orderId)
    return {
      ok: false,
      reason: `key_mismatch: the message key ${JSON.stringify(keyText.slice(0, 100))} is not the order id ${parsed.value.orderId} of its ${parsed.value.kind}`,
    };
  return { ok: true, command: parsed.value };
}

import {
  channelOf,
  type EventKey,
  type OrderEvent,
  type Outcome,
  type ShardCommand,
} from '@boxoffice/inventory';
import type { Logger } from '@boxoffice/platform/logger';
import type { OrderReply } from '@boxoffice/platform/replies';
import { currentTraceparent } from '@boxoffice/platform/telemetry/messaging';
import type { Redis } from 'ioredis';
import type { KafkaMessage, Message } from 'kafkajs';
import type { AppliedBatch } from './isolated-batch.ts';

/** What a batch tells the world after its transaction: order events, dead letters, replies. */

/**
 * The dead-letter topic takes what the purchase topic took, plus a key and headers: the broker's
 * default `message.max.bytes` (1 MiB) bounds both. A value is kept whole up to this size (a message
 * that filled the purchase topic's limit is cut here, and says so in `value-truncated`); a request
 * of dead letters carries at most this many value bytes, so one batch full of large messages goes
 * out in several requests instead of one the broker refuses (which stalled the shard).
 */
export const DEAD_LETTER_MAX_BYTES = 1_000_000;
/** A reason is for a person (and a log line): a message with 20,000 unknown fields does not list them all. */
export const DEAD_LETTER_MAX_REASON = 1_000;

function bounded(reason: string): string {
  return reason.length <= DEAD_LETTER_MAX_REASON ? reason : `${reason.slice(0, DEAD_LETTER_MAX_REASON - 1)}…`;
}

/**
 * Dead letters keep the original bytes (up to DEAD_LETTER_MAX_BYTES), and say why and where they
 * came from in headers; grouped into requests of at most DEAD_LETTER_MAX_BYTES of values each.
 */
export function deadLetterRequests(
  eventLabel: string,
  topic: string,
  partition: number,
  dead: { message: KafkaMessage; reason: string }[],
): Message[][] {
  const requests: Message[][] = [];
  let current: Message[] = [];
  let currentBytes = 0;
  for (const { message, reason } of dead) {
    const original = message.value;
    const value =
      original && original.length > DEAD_LETTER_MAX_BYTES
        ? original.subarray(0, DEAD_LETTER_MAX_BYTES)
        : original;
    const size = value?.length ?? 0;
    if (current.length > 0 && currentBytes + size > DEAD_LETTER_MAX_BYTES) {
      requests.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push({
      key: eventLabel,
      value,
      headers: {
        reason: bounded(reason),
        'source-topic': topic,
        'source-partition': String(partition),
        'source-offset': message.offset,
        ...(value !== original ? { 'value-truncated': `${original!.length} bytes, first ${size} kept` } : {}),
      },
    });
    currentBytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/**
 * One order event per change and per recorded rejection; nothing for a command that changed nothing,
 * a request that moved to another shard (that shard reports it) or a purchase that was not recorded.
 * A hold offered to a waiting buyer is an `order.held` like any other (`source: waiting-list`);
 * joining or leaving a waiting list makes no order, so no order event.
 */
export function orderEventMessages(
  event: EventKey,
  applied: AppliedBatch,
  forwardedIds: Set<string>,
  commands: ShardCommand[],
): Message[] {
  const at = new Date().toISOString();
  const changes = applied.outcomes.flatMap((o, i) => {
    if (!isOrderChange(o) || forwardedIds.has(o.orderId)) return [];
    if (o.kind === 'rejected' && !applied.rejectedIds.has(o.orderId)) return [];
    const value: OrderEvent = {
      v: 1,
      kind: `order.${o.kind}`,
      event,
      orderId: o.orderId,
      at,
      ...detail(o, commands[i]),
    };
    return [{ key: o.orderId, value: JSON.stringify(value) }];
  });
  const offers = applied.offers.map((order) => {
    const value: OrderEvent = {
      v: 1,
      kind: order.status === 'CONFIRMED' ? 'order.confirmed' : 'order.held',
      event,
      orderId: order.id,
      at,
      source: 'waiting-list',
      ...detail({ orderId: order.id, kind: 'held', order }, undefined),
    };
    return { key: order.id, value: JSON.stringify(value) };
  });
  return [...changes, ...offers];
}

type OrderChange = Extract<
  Outcome,
  { kind: 'held' | 'confirmed' | 'released' | 'expired' | 'refund_required' | 'rejected' }
>;
const isOrderChange = (o: Outcome): o is OrderChange =>
  o.kind !== 'ignored' &&
  o.kind !== 'duplicate' &&
  o.kind !== 'joined' &&
  o.kind !== 'left' &&
  o.kind !== 'served';

/** A rejection has no order in its outcome: what it was for comes from its command. */
function detail(outcome: OrderChange, command: ShardCommand | undefined): Partial<OrderEvent> {
  if (outcome.kind === 'rejected') {
    const purchase = command?.kind === 'purchase.requested' ? command : undefined;
    return {
      reason: outcome.reason,
      ...(purchase
        ? {
            ticketType: purchase.ticketType,
            quantity: purchase.quantity,
            channel: channelOf(purchase),
            amountMinor: 0,
          }
        : {}),
    };
  }
  return {
    status: outcome.order.status,
    ticketType: outcome.order.ticketType,
    quantity: outcome.order.quantity,
    channel: channelOf(outcome.order),
    amountMinor: outcome.order.amountMinor,
    currency: outcome.order.currency,
  };
}

/**
 * Replies go to the purchase-api instance named in the command; a lost reply only means a 202. A
 * rejection is told when it is final: recorded as REJECTED, or dead-lettered (nothing will ever
 * record it, and the requester should not wait for it). Each reply names the batch's span, so the
 * waiting request's trace links to the batch that answered it.
 */
export async function publishReplies(
  redis: Redis,
  logger: Logger,
  commands: ShardCommand[],
  applied: AppliedBatch,
  forwardedIds: Set<string>,
  deadLettered: Set<number>,
): Promise<void> {
  const byChannel = new Map<string, OrderReply[]>();
  const traceparent = currentTraceparent();
  commands.forEach((command, i) => {
    const outcome = applied.outcomes[i]!;
    if (!('replyTo' in command) || !command.replyTo || forwardedIds.has(command.orderId)) return;
    // A waiting-list join's rejection is final at once (nothing records it).
    if (
      outcome.kind === 'rejected' &&
      command.kind === 'purchase.requested' &&
      !applied.rejectedIds.has(command.orderId) &&
      !deadLettered.has(i)
    )
      return;
    if (outcome.kind === 'served') return;
    const offer = applied.offers.find((o) => o.id === command.orderId);
    const reply: OrderReply = {
      orderId: command.orderId,
      kind: outcome.kind,
      ...('reason' in outcome ? { reason: outcome.reason } : {}),
      ...('order' in outcome ? { status: outcome.order.status, expiresAt: outcome.order.expiresAt } : {}),
      ...('entry' in outcome ? { status: outcome.entry.status } : {}),
      ...(offer && 'entry' in outcome ? { expiresAt: offer.expiresAt } : {}),
      ...('order' in outcome && outcome.order.rejectReason ? { reason: outcome.order.rejectReason } : {}),
      ...(traceparent ? { traceparent } : {}),
    };
    const replies = byChannel.get(command.replyTo) ?? [];
    replies.push(reply);
    byChannel.set(command.replyTo, replies);
  });
  if (byChannel.size === 0) return;
  // One message per waiting purchase-api instance, however many of its orders the batch answered.
  const pipeline = redis.pipeline();
  for (const [channel, replies] of byChannel) pipeline.publish(channel, JSON.stringify(replies));
  await pipeline.exec().catch((error: Error) => logger.warn({ err: error }, 'replies not published'));
}

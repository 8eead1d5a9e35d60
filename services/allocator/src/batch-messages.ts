import {
  channelOf,
  reannouncement,
  type EventKey,
  type Order,
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
 * One order event per change and per recorded rejection; nothing for a request that moved to
 * another shard (that shard reports it) or a purchase that was not recorded. A command applied
 * again announces again what it did the first time (`reannouncement`): the events of a batch whose
 * produce never happened after its commit come with its redelivery (consumers take each
 * `(orderId, kind)` once).
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
  const events: OrderEvent[] = [];
  const announced = new Set<string>();
  const announce = (value: OrderEvent): void => {
    const id = `${value.orderId}\n${value.kind}`;
    if (announced.has(id)) return;
    announced.add(id);
    events.push(value);
  };
  applied.outcomes.forEach((o, i) => {
    if (!isOrderChange(o) || forwardedIds.has(o.orderId)) return;
    if (o.kind === 'rejected' && !applied.rejectedIds.has(o.orderId)) return;
    announce({ v: 1, kind: `order.${o.kind}`, event, orderId: o.orderId, at, ...detail(o, commands[i]) });
  });
  applied.outcomes.forEach((o, i) => {
    const repeat = forwardedIds.has(o.orderId) ? undefined : reannouncement(commands[i]!, o);
    if (!repeat) return;
    const { order } = repeat;
    announce({
      v: 1,
      kind: repeat.kind,
      event,
      orderId: order.id,
      at: repeat.at,
      ...(repeat.kind === 'order.rejected'
        ? { reason: order.rejectReason, ...purchaseDetail(order), amountMinor: 0 }
        : orderDetail(order)),
    });
  });
  for (const order of applied.offers)
    announce({
      v: 1,
      kind: order.status === 'CONFIRMED' ? 'order.confirmed' : 'order.held',
      event,
      orderId: order.id,
      at,
      source: 'waiting-list',
      ...orderDetail(order),
    });
  return events.map((value) => ({ key: value.orderId, value: JSON.stringify(value) }));
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
      ...(purchase ? { ...purchaseDetail(purchase), amountMinor: 0 } : {}),
    };
  }
  return orderDetail(outcome.order);
}

const purchaseDetail = (what: {
  ticketType: string;
  quantity: number;
  channel?: string;
}): Partial<OrderEvent> => ({
  ticketType: what.ticketType,
  quantity: what.quantity,
  channel: channelOf(what),
});

const orderDetail = (order: Order): Partial<OrderEvent> => ({
  status: order.status,
  ...purchaseDetail(order),
  amountMinor: order.amountMinor,
  currency: order.currency,
});

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

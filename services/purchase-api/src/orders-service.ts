import { createHash } from 'node:crypto';
import {
  DEFAULT_SALES_CHANNEL,
  chooseShard,
  newOrderId,
  saleState,
  type EventKey,
  type PaymentConfirmed,
  type PaymentFailed,
  type PurchaseRequested,
  type ReleaseRequested,
  type SaleState,
} from '@boxoffice/inventory';
import { availabilityCache } from '@boxoffice/platform/availability-cache';
import { CoalescingProducer, CommandOutcomeUnknown } from '@boxoffice/platform/coalescing-producer';
import type { OrderReply } from '@boxoffice/platform/replies';
import {
  eventKeyString,
  eventTopic,
  findOrder,
  findOrderByIdempotencyKey,
  shardAvailability,
  type CatalogEvent,
  type StoredOrder,
} from '@boxoffice/store';
import type { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import type pg from 'pg';
import { AvailabilityView } from './availability-view.ts';
import { waitForOrderByKey } from './order-by-key.ts';
import type { ReplyWaiter } from './reply-waiter.ts';

export interface OrdersServiceDeps {
  pool: pg.Pool;
  redis: Redis;
  producer: Producer;
  replies: ReplyWaiter;
  catalog: (event: EventKey) => Promise<CatalogEvent | undefined>;
  prefix: string;
  replyTimeoutMs: number;
  /** How long a command may wait for Kafka's acknowledgement before the buyer hears 503. */
  sendTimeoutMs: number;
  random?: () => number;
}

export interface OrderView {
  id: string;
  status: string;
  expiresAt?: string;
  reason?: string;
}

export type PlaceOrderResult =
  | { kind: 'accepted'; order: OrderView }
  | { kind: 'pending'; orderId: string }
  | { kind: 'sold_out' }
  | { kind: 'limit_reached'; orderId: string }
  | { kind: 'event_not_found' }
  | { kind: 'unknown_ticket_type' }
  | { kind: 'over_limit'; limit: number }
  | { kind: 'not_on_sale'; state: SaleState }
  | { kind: 'idempotency_conflict' }
  | { kind: 'unavailable' };

export interface PlaceOrder {
  event: EventKey;
  buyerId: string;
  ticketType: string;
  quantity: number;
  idempotencyKey: string;
  /** The sales channel (`online` when absent). */
  channel?: string;
}

const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/** How long this instance trusts its availability figures without a reload (messages update them). */
const AVAILABILITY_MAX_AGE_MS = 1_000;

/**
 * The purchase path of purchase-api, free of HTTP: sale checks, the sold-out fast path (no claim,
 * no command), idempotency, routing to a shard with stock, producing the command and waiting a
 * bounded time for the allocator's answer. Nothing here decides a hold: the allocator does,
 * against PostgreSQL.
 */
export function ordersService(deps: OrdersServiceDeps) {
  const availability = availabilityCache(deps.redis, deps.prefix);
  const random = deps.random ?? Math.random;
  // Every command is acknowledged by all in-sync replicas before the buyer hears "accepted".
  const commands = new CoalescingProducer(deps.producer, {
    acks: -1,
    maxInFlight: 2,
    maxBatch: 500,
    sendTimeoutMs: deps.sendTimeoutMs,
  });

  /**
   * Cached availability, rebuilt from PostgreSQL when missing, incomplete (an expired entry that
   * one shard re-created alone) or when Redis is unreachable.
   */
  const currentAvailability = async (event: CatalogEvent): Promise<Map<string, number[]>> => {
    const key = eventKeyString(event);
    const cached = await availability.read(key).catch(() => undefined);
    const complete = (shards: number[]): boolean =>
      Array.from({ length: event.shards }, (_, i) => shards[i]).every((n) => n !== undefined);
    if (cached && event.ticketTypes.every((t) => complete(cached.get(t.name) ?? []))) return cached;
    const fresh = await shardAvailability(deps.pool, event);
    await availability.write(key, fresh).catch(() => undefined);
    return fresh;
  };
  const stock = new AvailabilityView(deps.redis, {
    channel: availability.channel,
    load: currentAvailability,
    maxAgeMs: AVAILABILITY_MAX_AGE_MS,
  });

  /**
   * The order an earlier request with the same idempotency key created, if any: from the key Redis
   * remembers, or from PostgreSQL when Redis cannot say.
   */
  const earlierOrder = async (
    request: PlaceOrder,
    idemKey: string,
    fingerprint: string,
    ownOrderId?: string,
  ): Promise<PlaceOrderResult | undefined> => {
    const remembered = await deps.redis
      .get(idemKey)
      .then((value) =>
        value === null ? null : (JSON.parse(value) as { orderId?: string; fingerprint?: string }),
      )
      .catch(() => undefined);
    if (remembered === null) return undefined;
    if (remembered) {
      if (remembered.fingerprint && remembered.fingerprint !== fingerprint)
        return { kind: 'idempotency_conflict' };
      if (!remembered.orderId) return undefined;
      // This request's own claim: it landed although its answer did not come in time (a command
      // timeout), so no earlier request holds the key and this one must still produce its command.
      if (remembered.orderId === ownOrderId) return undefined;
      const order = await findOrder(deps.pool, remembered.orderId);
      return order ? existingOrderResult(order) : { kind: 'pending', orderId: remembered.orderId };
    }
    const order = await findOrderByIdempotencyKey(
      deps.pool,
      request.event,
      request.buyerId,
      request.idempotencyKey,
    );
    return order ? keyedOrderResult(request, order) : undefined;
  };

  /** The answer for the order found under the request's key: its own, unless the body differs. */
  const keyedOrderResult = (request: PlaceOrder, order: StoredOrder): PlaceOrderResult =>
    order.ticketType !== request.ticketType || order.quantity !== request.quantity
      ? { kind: 'idempotency_conflict' }
      : existingOrderResult(order);

  const existingOrderResult = (order: StoredOrder): PlaceOrderResult => {
    if (order.status === 'REJECTED')
      return order.rejectReason === 'limit_reached'
        ? { kind: 'limit_reached', orderId: order.id }
        : { kind: 'sold_out' };
    return { kind: 'accepted', order: view(order) };
  };

  const replyResult = async (
    request: PlaceOrder,
    orderId: string,
    reply: OrderReply | undefined,
  ): Promise<PlaceOrderResult> => {
    if (!reply) return { kind: 'pending', orderId };
    if (reply.kind === 'held' || reply.kind === 'confirmed')
      return { kind: 'accepted', order: { id: orderId, status: reply.status!, expiresAt: reply.expiresAt! } };
    if (reply.kind === 'rejected')
      return reply.reason === 'limit_reached' ? { kind: 'limit_reached', orderId } : { kind: 'sold_out' };
    if (reply.kind === 'duplicate') {
      // A duplicate by key (the key was not remembered: Redis lost it) is the key's first order.
      const order =
        (await findOrder(deps.pool, orderId)) ??
        (await findOrderByIdempotencyKey(deps.pool, request.event, request.buyerId, request.idempotencyKey));
      return order ? existingOrderResult(order) : { kind: 'pending', orderId };
    }
    return { kind: 'pending', orderId };
  };

  return {
    /** Closes the availability subscription. */
    stop(): void {
      stock.stop();
    },

    async place(request: PlaceOrder): Promise<PlaceOrderResult> {
      const event = await deps.catalog(request.event);
      if (!event || event.closed) return { kind: 'event_not_found' };
      const type = event.ticketTypes.find((t) => t.name === request.ticketType);
      if (!type) return { kind: 'unknown_ticket_type' };
      if (request.quantity > event.sales.perBuyerLimit)
        return { kind: 'over_limit', limit: event.sales.perBuyerLimit };

      // Same key and body → same order; same key, other body → conflict. Redis remembers the key
      // while the order may still be in flight; PostgreSQL's unique key is the final word.
      const fingerprint = createHash('sha256')
        .update(`${request.ticketType}\n${request.quantity}`)
        .digest('hex')
        .slice(0, 16);
      const idemKey = `${deps.prefix}idem:${eventKeyString(request.event)}:${request.buyerId}:${request.idempotencyKey}`;

      const state = saleState(event, new Date());
      const shard =
        state === 'open'
          ? chooseShard((await stock.current(event)).get(request.ticketType) ?? [], request.quantity, {
              random,
            })
          : undefined;
      if (shard === undefined) {
        // Nothing can be accepted now, so nothing is claimed (the cheap answer of a sold-out sale);
        // a key already used still answers with its order.
        const earlier = await earlierOrder(request, idemKey, fingerprint);
        if (earlier) return earlier;
        return state === 'open' ? { kind: 'sold_out' } : { kind: 'not_on_sale', state };
      }

      let orderId = newOrderId();
      const claimed = await deps.redis
        .set(idemKey, JSON.stringify({ orderId, fingerprint }), 'EX', IDEMPOTENCY_TTL_SECONDS, 'NX')
        .then((ok) => ok === 'OK')
        .catch(() => false);
      if (!claimed) {
        const earlier = await earlierOrder(request, idemKey, fingerprint, orderId);
        if (earlier) return earlier;
      }
      const forget = (): Promise<unknown> => deps.redis.del(idemKey).catch(() => undefined);

      const command: PurchaseRequested = {
        v: 1,
        kind: 'purchase.requested',
        orderId,
        buyerId: request.buyerId,
        ticketType: request.ticketType,
        quantity: request.quantity,
        idempotencyKey: request.idempotencyKey,
        requestedAt: new Date().toISOString(),
        replyTo: deps.replies.channel,
        ...(request.channel && request.channel !== DEFAULT_SALES_CHANNEL ? { channel: request.channel } : {}),
      };
      const reply = deps.replies.expect(orderId);
      try {
        await commands.send({
          topic: eventTopic(request.event),
          partition: shard,
          key: orderId,
          value: JSON.stringify(command),
        });
      } catch (error) {
        reply.cancel();
        // Never sent: nothing can land, so the key is free again. Still in flight: the command may
        // land yet, so the key stays until the broker decides (a retry meanwhile hears "pending").
        if (error instanceof CommandOutcomeUnknown) void error.outcome.catch(forget);
        else await forget();
        return { kind: 'unavailable' };
      }
      orderId = command.orderId;
      if (!deps.replies.listening()) {
        // Redis is down, so no reply can come: PostgreSQL has the answer (docs/reliability.md).
        reply.cancel();
        const order = await waitForOrderByKey(deps.pool, request, deps.replyTimeoutMs);
        return order ? keyedOrderResult(request, order) : { kind: 'pending', orderId };
      }
      return replyResult(request, orderId, await reply.wait(deps.replyTimeoutMs));
    },

    /** Releases a hold (owner only; another buyer's order is reported as not found). */
    async release(
      orderId: string,
      buyerId: string,
    ): Promise<
      | { kind: 'not_found' }
      | { kind: 'not_held'; order: OrderView }
      | { kind: 'released' | 'pending'; orderId: string }
      | { kind: 'unavailable' }
    > {
      const order = await findOrder(deps.pool, orderId);
      if (!order || order.buyerId !== buyerId) return { kind: 'not_found' };
      if (order.status !== 'HELD') return { kind: 'not_held', order: view(order) };
      const command: ReleaseRequested = {
        v: 1,
        kind: 'release.requested',
        orderId,
        buyerId,
        replyTo: deps.replies.channel,
      };
      const reply = deps.replies.expect(orderId);
      try {
        await commands.send({
          topic: eventTopic(order.event),
          partition: order.shard,
          key: orderId,
          value: JSON.stringify(command),
        });
      } catch {
        reply.cancel();
        return { kind: 'unavailable' };
      }
      const answer = await reply.wait(deps.replyTimeoutMs);
      return { kind: answer?.kind === 'released' ? 'released' : 'pending', orderId };
    },

    /** Hands a verified payment callback to the order's shard; the allocator applies it once. */
    async payment(callback: {
      providerEventId: string;
      orderId: string;
      outcome: 'succeeded' | 'failed';
      amountMinor: number;
      currency: string;
      reason?: string;
    }): Promise<'accepted' | 'unknown_order' | 'unavailable'> {
      const order = await findOrder(deps.pool, callback.orderId);
      if (!order) return 'unknown_order';
      const command: PaymentConfirmed | PaymentFailed =
        callback.outcome === 'succeeded'
          ? {
              v: 1,
              kind: 'payment.confirmed',
              orderId: order.id,
              providerEventId: callback.providerEventId,
              amountMinor: callback.amountMinor,
              currency: callback.currency,
            }
          : {
              v: 1,
              kind: 'payment.failed',
              orderId: order.id,
              providerEventId: callback.providerEventId,
              reason: callback.reason ?? 'payment failed',
            };
      try {
        await commands.send({
          topic: eventTopic(order.event),
          partition: order.shard,
          key: order.id,
          value: JSON.stringify(command),
        });
        return 'accepted';
      } catch {
        return 'unavailable';
      }
    },
  };
}

export type OrdersService = ReturnType<typeof ordersService>;

export function view(order: StoredOrder): OrderView {
  return {
    id: order.id,
    status: order.status,
    ...(order.status === 'HELD' ? { expiresAt: order.expiresAt } : {}),
    ...(order.rejectReason ? { reason: order.rejectReason } : {}),
  };
}

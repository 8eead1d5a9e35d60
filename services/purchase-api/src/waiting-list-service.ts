import {
  DEFAULT_SALES_CHANNEL,
  joinRefusal,
  newOrderId,
  saleState,
  waitingListShard,
  WaitingStatus,
  type EventKey,
  type JoinRefusal,
  type SaleState,
  type WaitingListJoin,
  type WaitingListLeave,
} from '@boxoffice/inventory';
import type { OrderReply } from '@boxoffice/platform/replies';
import {
  buyerActiveQuantity,
  buyerWaitingEntries,
  eventTopic,
  shardAvailability,
  waitingShards,
  type BuyerWaitingEntry,
  type CatalogEvent,
} from '@boxoffice/store';
import type { Producer } from 'kafkajs';
import type pg from 'pg';
import type { ReplyWaiter } from './reply-waiter.ts';

export interface WaitingListServiceDeps {
  pool: pg.Pool;
  producer: Producer;
  replies: ReplyWaiter;
  catalog: (event: EventKey) => Promise<CatalogEvent | undefined>;
  replyTimeoutMs: number;
}

export interface JoinRequest {
  event: EventKey;
  buyerId: string;
  ticketType: string;
  quantity: number;
  channel?: string;
}

export type JoinResult =
  | { kind: 'joined'; entry: BuyerWaitingEntry }
  | { kind: 'pending'; entryId: string }
  | { kind: 'refused'; refusal: JoinRefusal; limit: number; entry?: BuyerWaitingEntry }
  | { kind: 'event_not_found' }
  | { kind: 'unknown_ticket_type' }
  | { kind: 'not_on_sale'; state: SaleState }
  | { kind: 'unavailable' };

export type LeaveResult =
  | { kind: 'left'; entry: BuyerWaitingEntry }
  | { kind: 'pending'; entry: BuyerWaitingEntry }
  | { kind: 'not_waiting' }
  | { kind: 'offered'; entry: BuyerWaitingEntry }
  | { kind: 'event_not_found' }
  | { kind: 'unavailable' };

/**
 * The waiting list of purchase-api, free of HTTP: the checks a buyer gets an answer to at once
 * (sold out? within the limit? already on it?), the choice of the shard's list to join, and the
 * join or leave command on that shard's partition, waited for a bounded time. The shard's allocator
 * re-checks what may have changed in between (one entry per buyer, the limit) and decides.
 */
export function waitingListService(deps: WaitingListServiceDeps) {
  const send = async (event: EventKey, shard: number, command: WaitingListJoin | WaitingListLeave) =>
    deps.producer.send({
      topic: eventTopic(event),
      acks: -1,
      messages: [{ key: command.orderId, value: JSON.stringify(command), partition: shard }],
    });
  const currentEntry = async (event: EventKey, buyerId: string, ticketType: string) =>
    (await buyerWaitingEntries(deps.pool, event, buyerId, ticketType))[0];
  /** Sends a command and waits for the allocator's reply (undefined: not back in time). */
  const sendAndWait = async (
    event: EventKey,
    shard: number,
    command: WaitingListJoin | WaitingListLeave,
  ): Promise<OrderReply | undefined | 'unavailable'> => {
    const reply = deps.replies.expect(command.orderId);
    try {
      await send(event, shard, command);
    } catch {
      reply.cancel();
      return 'unavailable';
    }
    return reply.wait(deps.replyTimeoutMs);
  };

  return {
    async entries(event: EventKey, buyerId: string): Promise<BuyerWaitingEntry[] | undefined> {
      const catalog = await deps.catalog(event);
      if (!catalog || catalog.closed) return undefined;
      return buyerWaitingEntries(deps.pool, event, buyerId);
    },

    async join(request: JoinRequest): Promise<JoinResult> {
      const event = await deps.catalog(request.event);
      if (!event || event.closed) return { kind: 'event_not_found' };
      if (!event.ticketTypes.some((t) => t.name === request.ticketType))
        return { kind: 'unknown_ticket_type' };
      const limit = event.sales.perBuyerLimit;
      if (request.quantity > limit) return { kind: 'refused', refusal: 'over_limit', limit };
      const state = saleState(event, new Date());
      if (state !== 'open') return { kind: 'not_on_sale', state };

      const [current, availability, active] = await Promise.all([
        currentEntry(request.event, request.buyerId, request.ticketType),
        shardAvailability(deps.pool, request.event),
        buyerActiveQuantity(deps.pool, request.event, request.buyerId),
      ]);
      const refusal = joinRefusal({
        remaining: availability.get(request.ticketType) ?? [],
        quantity: request.quantity,
        perBuyerLimit: limit,
        active,
        ...(current
          ? { current: { status: current.status, offerHeld: current.offer?.status === 'HELD' } }
          : {}),
      });
      if (refusal) return { kind: 'refused', refusal, limit, ...(current ? { entry: current } : {}) };
      const shard = waitingListShard(
        await waitingShards(deps.pool, request.event, request.ticketType),
        request.quantity,
      );
      if (shard === undefined) return { kind: 'unknown_ticket_type' };

      const command: WaitingListJoin = {
        v: 1,
        kind: 'waiting-list.join',
        orderId: newOrderId(),
        buyerId: request.buyerId,
        ticketType: request.ticketType,
        quantity: request.quantity,
        requestedAt: new Date().toISOString(),
        replyTo: deps.replies.channel,
        ...(request.channel && request.channel !== DEFAULT_SALES_CHANNEL ? { channel: request.channel } : {}),
      };
      const reply = await sendAndWait(request.event, shard, command);
      if (reply === 'unavailable') return { kind: 'unavailable' };
      if (reply?.kind === 'rejected') {
        const after = await currentEntry(request.event, request.buyerId, request.ticketType);
        if (reply.reason === 'already_waiting')
          return { kind: 'refused', refusal: 'already_waiting', limit, ...(after ? { entry: after } : {}) };
        if (reply.reason === 'limit_reached') return { kind: 'refused', refusal: 'limit_reached', limit };
        if (reply.reason === 'unknown_ticket_type') return { kind: 'unknown_ticket_type' };
        return { kind: 'unavailable' };
      }
      if (reply?.kind !== 'joined') return { kind: 'pending', entryId: command.orderId };
      const entry = await currentEntry(request.event, request.buyerId, request.ticketType);
      return entry?.id === command.orderId
        ? { kind: 'joined', entry }
        : { kind: 'pending', entryId: command.orderId };
    },

    async leave(event: EventKey, buyerId: string, ticketType: string): Promise<LeaveResult> {
      const catalog = await deps.catalog(event);
      if (!catalog || catalog.closed) return { kind: 'event_not_found' };
      const entry = await currentEntry(event, buyerId, ticketType);
      if (!entry || entry.status === WaitingStatus.Left) return { kind: 'not_waiting' };
      if (entry.status === WaitingStatus.Offered) return { kind: 'offered', entry };
      const command: WaitingListLeave = {
        v: 1,
        kind: 'waiting-list.leave',
        orderId: entry.id,
        buyerId,
        replyTo: deps.replies.channel,
      };
      const reply = await sendAndWait(event, entry.shard, command);
      if (reply === 'unavailable') return { kind: 'unavailable' };
      if (!reply) return { kind: 'pending', entry };
      // Not waiting any more when the leave arrived: seats came back for it first.
      const now = (await currentEntry(event, buyerId, ticketType)) ?? entry;
      if (now.status === WaitingStatus.Offered) return { kind: 'offered', entry: now };
      return { kind: 'left', entry: now };
    },
  };
}

export type WaitingListService = ReturnType<typeof waitingListService>;

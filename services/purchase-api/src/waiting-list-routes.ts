import { ticketTypeName } from '@boxoffice/inventory';
import { buyerOf } from '@boxoffice/platform/auth/jwt';
import { AppError } from '@boxoffice/platform/errors/app-error';
import { defineRoute, type AnyRoute, type DocumentedMiddleware } from '@boxoffice/platform/http/route';
import type { BuyerWaitingEntry } from '@boxoffice/store';
import { z } from 'zod';
import { PurchaseErrors } from './errors.ts';
import { channelFromClaims } from './token-channel.ts';
import type { JoinResult, WaitingListService } from './waiting-list-service.ts';

const eventParams = z.object({ namespace: z.string().min(1).max(63), name: z.string().min(1).max(63) });
const entryView = z
  .object({
    id: z.uuid().describe('The entry; also the id of the order it becomes when seats are offered'),
    ticketType: z.string(),
    quantity: z.number(),
    status: z.enum(['WAITING', 'OFFERED', 'LEFT']),
    joinedAt: z.string(),
    position: z
      .number()
      .optional()
      .describe("While WAITING: 1 + the buyers ahead on the entry's shard (seats come back per shard)"),
    offer: z
      .object({ orderId: z.uuid(), status: z.string(), expiresAt: z.string() })
      .optional()
      .describe('While OFFERED: the hold made for you; pay it like any order before it expires'),
  })
  .meta({ id: 'WaitingListEntry' });
const pendingEntry = z
  .object({ id: z.uuid(), status: z.literal('PENDING') })
  .meta({ id: 'PendingWaitingListEntry' });

const toEntryView = (entry: BuyerWaitingEntry): z.infer<typeof entryView> => ({
  id: entry.id,
  ticketType: entry.ticketType,
  quantity: entry.quantity,
  status: entry.status,
  joinedAt: entry.joinedAt,
  ...(entry.position !== undefined ? { position: entry.position } : {}),
  ...(entry.offer ? { offer: { orderId: entry.id, ...entry.offer } } : {}),
});

const listLocation = (params: { namespace: string; name: string }, ticketType: string): string =>
  `/v1/events/${encodeURIComponent(params.namespace)}/${encodeURIComponent(params.name)}/waiting-list?ticketType=${encodeURIComponent(ticketType)}`;

function refusal(result: Extract<JoinResult, { kind: 'refused' }>): AppError {
  switch (result.refusal) {
    case 'over_limit':
      return new AppError(PurchaseErrors.OverLimit, {
        detail: `at most ${result.limit} tickets per buyer`,
        extensions: { limit: result.limit },
      });
    case 'limit_reached':
      return new AppError(PurchaseErrors.LimitReached, {
        detail: 'with what you hold or bought, this quantity would exceed your per-buyer limit',
      });
    case 'not_sold_out':
      return new AppError(PurchaseErrors.NotSoldOut, {
        detail: 'a shard still has this quantity left: POST .../orders',
      });
    case 'already_waiting':
      return new AppError(PurchaseErrors.AlreadyWaiting, {
        ...(result.entry ? { extensions: { entryId: result.entry.id } } : {}),
      });
    case 'offered':
      return new AppError(PurchaseErrors.WaitingListOffered, {
        ...(result.entry ? { extensions: { orderId: result.entry.id } } : {}),
      });
  }
}

/**
 * `POST|GET|DELETE /v1/events/{namespace}/{name}/waiting-list`: a buyer joins a sold-out ticket
 * type's waiting list, sees their place (or the hold offered to them), and leaves it.
 */
export function waitingListRoutes(deps: {
  waitingList: WaitingListService;
  authenticated: DocumentedMiddleware[];
  salesChannels?: string[];
}): AnyRoute[] {
  const path = '/v1/events/{namespace}/{name}/waiting-list';
  return [
    defineRoute({
      operationId: 'joinWaitingList',
      method: 'post',
      path,
      summary: 'Join the waiting list of a sold-out ticket type',
      description:
        'Seats that come back (a hold expires or is released, capacity grows) are offered in order of joining, as a hold for the first waiting buyer whose quantity fits: the hold appears among your orders (GET /v1/orders/{id}, with the entry id) and as an `offer` event on the availability stream. It expires like any hold, and its seats go to the next buyer.',
      tags: ['waiting-list'],
      middleware: deps.authenticated,
      request: {
        params: eventParams,
        body: z
          .strictObject({ ticketType: ticketTypeName, quantity: z.int().min(1).max(100) })
          .meta({ id: 'WaitingListRequest' }),
      },
      responses: {
        201: { description: 'On the list (or offered at once: seats had just come back)', schema: entryView },
        202: { description: 'Accepted; GET the Location for your place', schema: pendingEntry },
      },
      problems: [
        PurchaseErrors.EventNotFound,
        PurchaseErrors.UnknownTicketType,
        PurchaseErrors.OverLimit,
        PurchaseErrors.LimitReached,
        PurchaseErrors.NotOnSale,
        PurchaseErrors.NotSoldOut,
        PurchaseErrors.AlreadyWaiting,
        PurchaseErrors.WaitingListOffered,
        PurchaseErrors.ChannelNotAllowed,
        PurchaseErrors.OrderingUnavailable,
      ],
      handler: async ({ params, body }, _req, res) => {
        const buyer = buyerOf(res);
        const result = await deps.waitingList.join({
          event: params,
          buyerId: buyer.buyerId,
          channel: channelFromClaims(buyer.claims, deps.salesChannels ?? []),
          ticketType: body.ticketType,
          quantity: body.quantity,
        });
        switch (result.kind) {
          case 'joined':
            res.location(listLocation(params, body.ticketType)).status(201).json(toEntryView(result.entry));
            return;
          case 'pending':
            res
              .location(listLocation(params, body.ticketType))
              .status(202)
              .json({ id: result.entryId, status: 'PENDING' });
            return;
          case 'refused':
            throw refusal(result);
          case 'event_not_found':
            throw new AppError(PurchaseErrors.EventNotFound);
          case 'unknown_ticket_type':
            throw new AppError(PurchaseErrors.UnknownTicketType);
          case 'not_on_sale':
            throw new AppError(PurchaseErrors.NotOnSale, {
              detail: `the sale is ${result.state}`,
              extensions: { sale: result.state },
            });
          case 'unavailable':
            throw new AppError(PurchaseErrors.OrderingUnavailable, { headers: { 'Retry-After': '1' } });
        }
      },
    }),
    defineRoute({
      operationId: 'getWaitingList',
      method: 'get',
      path,
      summary: 'Your waiting-list entries for the event: your place, or the hold offered to you',
      tags: ['waiting-list'],
      middleware: deps.authenticated,
      request: {
        params: eventParams,
        query: z.object({ ticketType: ticketTypeName.optional() }),
      },
      responses: { 200: { description: 'Entries', schema: z.object({ items: z.array(entryView) }) } },
      problems: [PurchaseErrors.EventNotFound],
      handler: async ({ params, query }, _req, res) => {
        const entries = await deps.waitingList.entries(params, buyerOf(res).buyerId);
        if (!entries) throw new AppError(PurchaseErrors.EventNotFound);
        res.json({
          items: entries
            .filter((e) => !query.ticketType || e.ticketType === query.ticketType)
            .map(toEntryView),
        });
      },
    }),
    defineRoute({
      operationId: 'leaveWaitingList',
      method: 'delete',
      path,
      summary: 'Leave the waiting list of a ticket type',
      tags: ['waiting-list'],
      middleware: deps.authenticated,
      request: { params: eventParams, query: z.object({ ticketType: ticketTypeName }) },
      responses: {
        200: { description: 'Left', schema: entryView },
        202: { description: 'Leave accepted', schema: entryView },
      },
      problems: [
        PurchaseErrors.EventNotFound,
        PurchaseErrors.NotWaiting,
        PurchaseErrors.WaitingListOffered,
        PurchaseErrors.OrderingUnavailable,
      ],
      handler: async ({ params, query }, _req, res) => {
        const result = await deps.waitingList.leave(params, buyerOf(res).buyerId, query.ticketType);
        switch (result.kind) {
          case 'left':
            res.status(200).json(toEntryView(result.entry));
            return;
          case 'pending':
            res.status(202).json(toEntryView(result.entry));
            return;
          case 'offered':
            throw new AppError(PurchaseErrors.WaitingListOffered, {
              detail: 'release the order instead (DELETE /v1/orders/{id}) to give the seats back',
              extensions: { orderId: result.entry.id },
            });
          case 'not_waiting':
            throw new AppError(PurchaseErrors.NotWaiting);
          case 'event_not_found':
            throw new AppError(PurchaseErrors.EventNotFound);
          case 'unavailable':
            throw new AppError(PurchaseErrors.OrderingUnavailable, { headers: { 'Retry-After': '1' } });
        }
      },
    }),
  ] as AnyRoute[];
}

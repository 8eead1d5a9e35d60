import { buyerOf, requireBuyer, type JwtVerifier } from '@boxoffice/platform/auth/jwt';
import type { AvailabilityCache } from '@boxoffice/platform/availability-cache';
import { AppError } from '@boxoffice/platform/errors/app-error';
import { defineErrors } from '@boxoffice/platform/errors/registry';
import { defineRoute, type AnyRoute } from '@boxoffice/platform/http/route';
import {
  buyerOrders,
  eventKeyString,
  findEvent,
  listEvents,
  orderTickets,
  type CatalogEvent,
} from '@boxoffice/store';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { z } from 'zod';
import { getOrderRoute, orderDetailsView, orderParams, ownOrderReader, toOrderView } from './order-read.ts';

export const QueryErrors = defineErrors({
  EventNotFound: { code: 'event-not-found', status: 404, title: 'Event not found' },
  OrderNotFound: { code: 'order-not-found', status: 404, title: 'Order not found' },
});

const eventParams = z.object({ namespace: z.string().min(1).max(63), name: z.string().min(1).max(63) });
const ticketTypeView = z.object({
  name: z.string(),
  priceMinor: z.number(),
  currency: z.string(),
  capacity: z.number(),
  held: z.number(),
  sold: z.number(),
  remaining: z.number(),
});
const eventView = z
  .object({
    namespace: z.string(),
    name: z.string(),
    displayName: z.string(),
    venue: z.string(),
    startsAt: z.string(),
    sales: z.object({
      opensAt: z.string(),
      closesAt: z.string(),
      perBuyerLimit: z.number(),
      holdTtlSeconds: z.number(),
    }),
    shards: z.number(),
    paused: z.boolean(),
    closed: z.boolean(),
    ticketTypes: z.array(ticketTypeView).describe('Availability per ticket type, summed over shards'),
  })
  .meta({ id: 'Event' });
const toEventView = (event: CatalogEvent): z.infer<typeof eventView> => event;

export function queryRoutes(deps: {
  pool: pg.Pool;
  verifier: JwtVerifier;
  redis: Redis;
  availability: AvailabilityCache;
  heartbeatMs: number;
  shutdown: AbortSignal;
}): AnyRoute[] {
  const authenticated = [requireBuyer(deps.verifier)];
  const ownOrder = ownOrderReader(deps.pool, QueryErrors.OrderNotFound);
  return [
    defineRoute({
      operationId: 'listEvents',
      method: 'get',
      path: '/v1/events',
      summary: 'Events on sale, with availability',
      tags: ['events'],
      request: {
        query: z.object({
          namespace: z.string().max(63).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
      },
      responses: { 200: { description: 'Events', schema: z.object({ items: z.array(eventView) }) } },
      handler: async ({ query }, _req, res) => {
        const items = await listEvents(deps.pool, {
          ...(query.namespace ? { namespace: query.namespace } : {}),
          limit: query.limit,
        });
        res.json({ items: items.map(toEventView) });
      },
    }),
    defineRoute({
      operationId: 'getEvent',
      method: 'get',
      path: '/v1/events/{namespace}/{name}',
      summary: 'One event with availability per ticket type',
      tags: ['events'],
      request: { params: eventParams },
      responses: { 200: { description: 'The event', schema: eventView } },
      problems: [QueryErrors.EventNotFound],
      handler: async ({ params }, _req, res) => {
        const event = await findEvent(deps.pool, params);
        if (!event) throw new AppError(QueryErrors.EventNotFound);
        res.json(toEventView(event));
      },
    }),
    defineRoute({
      operationId: 'streamAvailability',
      method: 'get',
      path: '/v1/events/{namespace}/{name}/availability/stream',
      summary: 'Server-Sent Events: a snapshot, then every change of remaining stock per shard',
      tags: ['events'],
      request: { params: eventParams },
      responses: { 200: { description: 'text/event-stream', contentType: 'text/event-stream' } },
      problems: [QueryErrors.EventNotFound],
      handler: async ({ params }, req, res) => {
        const event = await findEvent(deps.pool, params);
        if (!event) throw new AppError(QueryErrors.EventNotFound);
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
        });
        res.write(
          `event: snapshot\ndata: ${JSON.stringify({ ticketTypes: event.ticketTypes.map((t) => ({ name: t.name, remaining: t.remaining })) })}\n\n`,
        );
        const subscriber = deps.redis.duplicate();
        subscriber.on('error', () => undefined);
        subscriber.on('message', (_channel: string, message: string) =>
          res.write(`event: shard\ndata: ${message}\n\n`),
        );
        await subscriber.subscribe(deps.availability.channel(eventKeyString(params)));
        const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), deps.heartbeatMs);
        const end = (): void => {
          clearInterval(heartbeat);
          subscriber.disconnect();
          res.end();
        };
        req.on('close', end);
        deps.shutdown.addEventListener('abort', end, { once: true });
      },
    }),
    getOrderRoute({ pool: deps.pool, authenticated, notFound: QueryErrors.OrderNotFound }),
    defineRoute({
      operationId: 'getOrderTickets',
      method: 'get',
      path: '/v1/orders/{orderId}/tickets',
      summary: 'Tickets issued for one of your confirmed orders',
      tags: ['orders'],
      middleware: authenticated,
      request: { params: orderParams },
      responses: {
        200: {
          description: 'Tickets',
          schema: z.object({
            items: z.array(
              z.object({ code: z.string(), ticketType: z.string(), seq: z.number(), issuedAt: z.string() }),
            ),
          }),
        },
      },
      problems: [QueryErrors.OrderNotFound],
      handler: async ({ params }, _req, res) => {
        const order = await ownOrder(params.orderId, buyerOf(res).buyerId);
        const tickets = await orderTickets(deps.pool, order.id);
        res.json({
          items: tickets.map((t) => ({
            code: t.code,
            ticketType: t.ticketType,
            seq: t.seq,
            issuedAt: t.issuedAt,
          })),
        });
      },
    }),
    defineRoute({
      operationId: 'listMyOrders',
      method: 'get',
      path: '/v1/me/orders',
      summary: 'Your orders, newest first',
      tags: ['orders'],
      middleware: authenticated,
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }) },
      responses: { 200: { description: 'Orders', schema: z.object({ items: z.array(orderDetailsView) }) } },
      handler: async ({ query }, _req, res) =>
        res.json({
          items: (await buyerOrders(deps.pool, buyerOf(res).buyerId, query.limit)).map(toOrderView),
        }),
    }),
  ] as AnyRoute[];
}

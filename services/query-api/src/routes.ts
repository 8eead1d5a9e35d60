import { buyerOf, requireBuyer, type JwtVerifier } from '@boxoffice/platform/auth/jwt';
import { AppError } from '@boxoffice/platform/errors/app-error';
import {
  defineRoute,
  type AnyRoute,
  type DocumentedMiddleware,
  type ResponseLink,
} from '@boxoffice/platform/http/route';
import { dnsLabel } from '@boxoffice/inventory';
import { buyerOrders, findEvent, listEvents, orderTickets, type CatalogEvent } from '@boxoffice/store';
import type pg from 'pg';
import { z } from 'zod';
import { availabilityStreamRoute, type AvailabilityStreamDeps } from './availability-stream.ts';
import { QueryErrors } from './errors.ts';
import { checkinRoutes } from './checkin-routes.ts';
import { organizerRoutes } from './organizer-routes.ts';
import { getOrderRoute, orderParams, ownOrderReader, toOrderView, orderDetailsView } from './order-read.ts';

// An event is named by Kubernetes names (DNS labels): nothing else can exist, and nothing else
// reaches PostgreSQL (which refuses text with U+0000 in it).
const eventParams = z.object({ namespace: dnsLabel, name: dnsLabel });
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

/** Operations about the event at `at` (a runtime expression naming an Event in the answer). */
const eventLinks = (at: string): Record<string, ResponseLink> =>
  Object.fromEntries(
    [
      'getEvent',
      'streamAvailability',
      'getSalesSummary',
      'getSalesTimeSeries',
      'listEventOrders',
      'exportEventOrders',
    ].map((operationId) => [
      operationId.replace(/^./, (c) => c.toUpperCase()),
      { operationId, parameters: { namespace: `${at}/namespace`, name: `${at}/name` } },
    ]),
  );

export function queryRoutes(deps: {
  pool: pg.Pool;
  verifier: JwtVerifier;
  /** Run after authentication on the routes that need a token (a per-buyer limit). */
  perBuyer: DocumentedMiddleware[];
  streams: AvailabilityStreamDeps;
}): AnyRoute[] {
  const authenticated = [requireBuyer(deps.verifier), ...deps.perBuyer];
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
          namespace: dnsLabel.optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
      },
      responses: {
        200: {
          description: 'Events',
          schema: z.object({ items: z.array(eventView) }),
          links: eventLinks('$response.body#/items/0'),
        },
      },
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
    availabilityStreamRoute(deps.streams),
    ...organizerRoutes(deps),
    ...checkinRoutes(deps),
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
      responses: {
        200: {
          description: 'Orders',
          schema: z.object({ items: z.array(orderDetailsView) }),
          links: {
            GetOrder: { operationId: 'getOrder', parameters: { orderId: '$response.body#/items/0/id' } },
            GetOrderTickets: {
              operationId: 'getOrderTickets',
              parameters: { orderId: '$response.body#/items/0/id' },
            },
          },
        },
      },
      handler: async ({ query }, _req, res) =>
        res.json({
          items: (await buyerOrders(deps.pool, buyerOf(res).buyerId, query.limit)).map(toOrderView),
        }),
    }),
  ] as AnyRoute[];
}

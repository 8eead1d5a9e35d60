import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { dnsLabel, salesChannel, ticketTypeName } from '@boxoffice/inventory';
import { requireBuyer, type JwtVerifier } from '@boxoffice/platform/auth/jwt';
import { AppError } from '@boxoffice/platform/errors/app-error';
import { defineRoute, type AnyRoute, type DocumentedMiddleware } from '@boxoffice/platform/http/route';
import {
  eventOrdersPage,
  salesSummary,
  salesTimeSeries,
  type OrderFilter,
  type OrderKey,
  type OrganizerOrder,
} from '@boxoffice/store';
import { stringify } from 'csv-stringify';
import type pg from 'pg';
import { z } from 'zod';
import { QueryErrors } from './errors.ts';
import { requireOrganizerRole } from './organizer-access.ts';

// An event is named by Kubernetes names (DNS labels): nothing else can exist, and nothing else
// reaches PostgreSQL (which refuses text with U+0000 in it).
const eventParams = z.object({ namespace: dnsLabel, name: dnsLabel });
const orderFilter = {
  status: z.enum(['HELD', 'CONFIRMED', 'EXPIRED', 'RELEASED', 'REFUND_REQUIRED', 'REJECTED']).optional(),
  ticketType: ticketTypeName.optional(),
  channel: salesChannel.optional(),
};
const organizerOrder = z
  .object({
    id: z.string(),
    buyerId: z.string(),
    ticketType: z.string(),
    quantity: z.number(),
    status: z.string(),
    channel: z.string(),
    amountMinor: z.number(),
    currency: z.string(),
    createdAt: z.string(),
    rejectReason: z.string().optional(),
  })
  .meta({ id: 'OrganizerOrder' });

/** An opaque cursor: the last order of a page, base64url JSON (clients must not build one). */
const encodeCursor = (key: OrderKey): string =>
  Buffer.from(JSON.stringify([key.createdAt, key.id])).toString('base64url');
function decodeCursor(cursor: string): OrderKey {
  try {
    const [createdAt, id] = z
      .tuple([z.iso.datetime(), z.uuid()])
      .parse(JSON.parse(Buffer.from(cursor, 'base64url').toString()));
    return { createdAt, id };
  } catch {
    throw new AppError(QueryErrors.InvalidCursor, { detail: 'use the nextCursor of the previous page' });
  }
}
const filterOf = (query: OrderFilter): OrderFilter => ({
  ...(query.status ? { status: query.status } : {}),
  ...(query.ticketType ? { ticketType: query.ticketType } : {}),
  ...(query.channel ? { channel: query.channel } : {}),
});

const CSV_COLUMNS: (keyof OrganizerOrder)[] = [
  'id',
  'createdAt',
  'status',
  'ticketType',
  'quantity',
  'channel',
  'amountMinor',
  'currency',
  'buyerId',
  'rejectReason',
];
const CSV_PAGE = 500;

/**
 * `/v1/organizers/{namespace}/...`: what an organizer sees of the sale of its events. Every route
 * needs a token with the organizer role for the namespace (organizer-access.ts), and shares the
 * per-buyer rate limit of the authenticated routes.
 */
export function organizerRoutes(deps: {
  pool: pg.Pool;
  verifier: JwtVerifier;
  perBuyer: DocumentedMiddleware[];
}): AnyRoute[] {
  const organizer = [requireBuyer(deps.verifier), ...deps.perBuyer, requireOrganizerRole('organizer')];
  const base = '/v1/organizers/{namespace}/events/{name}';
  return [
    defineRoute({
      operationId: 'getSalesSummary',
      method: 'get',
      path: `${base}/sales`,
      summary: 'Live sales of an event per ticket type: capacity, held, sold, remaining, revenue, checked in',
      tags: ['organizers'],
      middleware: organizer,
      request: { params: eventParams },
      responses: {
        200: {
          description: 'The sale now (from the shards and orders)',
          schema: z
            .object({
              ticketTypes: z.array(
                z.object({
                  ticketType: z.string(),
                  capacity: z.number(),
                  held: z.number(),
                  sold: z.number(),
                  remaining: z.number(),
                  revenueMinor: z.number(),
                  currency: z.string(),
                  checkedIn: z.number().describe('Tickets admitted at the door'),
                }),
              ),
            })
            .meta({ id: 'SalesSummary' }),
        },
      },
      problems: [QueryErrors.EventNotFound],
      handler: async ({ params }, _req, res) => {
        const ticketTypes = await salesSummary(deps.pool, params);
        if (!ticketTypes) throw new AppError(QueryErrors.EventNotFound);
        res.json({ ticketTypes });
      },
    }),
    defineRoute({
      operationId: 'getSalesTimeSeries',
      method: 'get',
      path: `${base}/sales/minutes`,
      summary: 'Sales per minute, channel and ticket type (the analytics projection; it trails by its lag)',
      tags: ['organizers'],
      middleware: organizer,
      request: {
        params: eventParams,
        query: z.object({
          from: z.iso.datetime({ offset: true }).optional().describe('Default: 24 h before `to`'),
          to: z.iso.datetime({ offset: true }).optional().describe('Default: now'),
        }),
      },
      responses: {
        200: {
          description: 'Minutes with sales, oldest first',
          schema: z.object({
            items: z.array(
              z.object({
                minute: z.string(),
                channel: z.string(),
                ticketType: z.string(),
                currency: z.string(),
                held: z.number(),
                confirmed: z.number(),
                expired: z.number(),
                released: z.number(),
                ticketsSold: z.number(),
                revenueMinor: z.number(),
              }),
            ),
          }),
        },
      },
      handler: async ({ params, query }, _req, res) => {
        const to = query.to ? new Date(query.to) : new Date();
        const from = query.from ? new Date(query.from) : new Date(to.getTime() - 86_400_000);
        res.json({ items: await salesTimeSeries(deps.pool, params, { from, to }) });
      },
    }),
    defineRoute({
      operationId: 'listEventOrders',
      method: 'get',
      path: `${base}/orders`,
      summary: "The event's orders, newest first, filtered, with cursor pagination",
      tags: ['organizers'],
      middleware: organizer,
      request: {
        params: eventParams,
        query: z.object({
          ...orderFilter,
          limit: z.coerce.number().int().min(1).max(500).default(100),
          cursor: z.string().max(200).optional().describe('nextCursor of the previous page'),
        }),
      },
      responses: {
        200: {
          description: 'A page of orders; nextCursor is absent on the last page',
          schema: z.object({ items: z.array(organizerOrder), nextCursor: z.string().optional() }),
        },
      },
      problems: [QueryErrors.InvalidCursor],
      handler: async ({ params, query }, _req, res) => {
        const after = query.cursor ? decodeCursor(query.cursor) : undefined;
        // One more than asked tells whether another page follows.
        const rows = await eventOrdersPage(deps.pool, params, filterOf(query), after, query.limit + 1);
        const items = rows.slice(0, query.limit);
        const last = items.at(-1);
        res.json({
          items,
          ...(rows.length > query.limit && last ? { nextCursor: encodeCursor(last) } : {}),
        });
      },
    }),
    defineRoute({
      operationId: 'exportEventOrders',
      method: 'get',
      path: `${base}/orders.csv`,
      summary: "The event's orders as CSV (streamed page by page; same filters as the list)",
      tags: ['organizers'],
      middleware: organizer,
      request: { params: eventParams, query: z.object(orderFilter) },
      responses: { 200: { description: 'RFC 4180 CSV with a header row', contentType: 'text/csv' } },
      handler: async ({ params, query }, _req, res) => {
        const filter = filterOf(query);
        const pool = deps.pool;
        // The first page is read before the status line: a failure then is still a problem answer,
        // not a 200 cut off after its headers.
        const first = await eventOrdersPage(pool, params, filter, undefined, CSV_PAGE);
        async function* orders(): AsyncGenerator<OrganizerOrder> {
          let page = first;
          for (;;) {
            yield* page;
            if (page.length < CSV_PAGE) return;
            page = await eventOrdersPage(pool, params, filter, page.at(-1), CSV_PAGE);
          }
        }
        res.status(200);
        res.type('text/csv; charset=utf-8');
        res.attachment(`${params.namespace}-${params.name}-orders.csv`);
        await pipeline(Readable.from(orders()), stringify({ header: true, columns: CSV_COLUMNS }), res);
      },
    }),
  ] as AnyRoute[];
}

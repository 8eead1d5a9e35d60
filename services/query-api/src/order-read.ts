import { buyerOf } from '@boxoffice/platform/auth/jwt';
import { AppError } from '@boxoffice/platform/errors/app-error';
import type { ErrorType } from '@boxoffice/platform/errors/registry';
import { defineRoute, type AnyRoute, type DocumentedMiddleware } from '@boxoffice/platform/http/route';
import { findOrder, type StoredOrder } from '@boxoffice/store';
import type pg from 'pg';
import { z } from 'zod';

/**
 * One order as its buyer reads it. query-api serves `GET /v1/orders/{orderId}`, and purchase-api
 * mounts the same route: an Ingress routes by path only, `DELETE` of that path (release a hold) is
 * purchase-api's, and the Location of its 201/202 answers points there. One definition, so both
 * APIs answer and document it alike.
 */
export const orderDetailsView = z
  .object({
    id: z.string(),
    event: z.object({ namespace: z.string(), name: z.string() }),
    ticketType: z.string(),
    quantity: z.number(),
    status: z.string(),
    amountMinor: z.number(),
    currency: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().optional(),
    reason: z.string().optional(),
  })
  .meta({ id: 'OrderDetails' });

export const toOrderView = (order: StoredOrder): z.infer<typeof orderDetailsView> => ({
  id: order.id,
  event: order.event,
  ticketType: order.ticketType,
  quantity: order.quantity,
  status: order.status,
  amountMinor: order.amountMinor,
  currency: order.currency,
  createdAt: order.createdAt,
  ...(order.status === 'HELD' ? { expiresAt: order.expiresAt } : {}),
  ...(order.rejectReason ? { reason: order.rejectReason } : {}),
});

export const orderParams = z.object({ orderId: z.string().min(1).max(64) });

/**
 * The buyer's own order, or `notFound` (the calling API's registry entry): another buyer's order
 * is indistinguishable from a missing one.
 */
export function ownOrderReader(
  pool: pg.Pool,
  notFound: ErrorType,
): (orderId: string, buyerId: string) => Promise<StoredOrder> {
  return async (orderId, buyerId) => {
    const order = await findOrder(pool, orderId);
    if (!order || order.buyerId !== buyerId) throw new AppError(notFound);
    return order;
  };
}

/**
 * `authenticated`: the calling API's middleware for buyers' requests (the token first, then its
 * per-buyer limits); `notFound`: its registry's entry for a missing order.
 */
export function getOrderRoute(deps: {
  pool: pg.Pool;
  authenticated: DocumentedMiddleware[];
  notFound: ErrorType;
}): AnyRoute {
  const ownOrder = ownOrderReader(deps.pool, deps.notFound);
  return defineRoute({
    operationId: 'getOrder',
    method: 'get',
    path: '/v1/orders/{orderId}',
    summary: 'One of your orders',
    tags: ['orders'],
    middleware: deps.authenticated,
    request: { params: orderParams },
    responses: { 200: { description: 'The order', schema: orderDetailsView } },
    problems: [deps.notFound],
    handler: async ({ params }, _req, res) =>
      res.json(toOrderView(await ownOrder(params.orderId, buyerOf(res).buyerId))),
  }) as AnyRoute;
}

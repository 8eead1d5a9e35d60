import type { JwtVerifier } from '@boxoffice/platform/auth/jwt';
import { buyerOf, requireBuyer } from '@boxoffice/platform/auth/jwt';
import { requireWebhookSignature } from '@boxoffice/platform/auth/webhook-signature';
import { AppError } from '@boxoffice/platform/errors/app-error';
import { perBuyerRateLimit } from '@boxoffice/platform/http/rate-limit';
import { defineRoute, type AnyRoute } from '@boxoffice/platform/http/route';
import { dnsLabel } from '@boxoffice/inventory';
import { getOrderRoute } from '@boxoffice/query-api/order-read';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Counter } from 'prom-client';
import { z } from 'zod';
import { PurchaseErrors, waitingListOnlyProblems } from './errors.ts';
import { orderAnswerLabels } from './metrics.ts';
import type { OrdersService, PlaceOrder, PlaceOrderResult } from './orders-service.ts';
import { channelFromClaims } from './token-channel.ts';
import { waitingListRoutes } from './waiting-list-routes.ts';
import type { WaitingListService } from './waiting-list-service.ts';

// An event is named by Kubernetes names (DNS labels): nothing else can exist, and nothing else
// reaches PostgreSQL (which refuses text with U+0000 in it).
const eventParams = z.object({ namespace: dnsLabel, name: dnsLabel });
const orderParams = z.object({ orderId: z.string().min(1).max(64) });
const orderView = z
  .object({
    id: z.uuid(),
    status: z.enum(['HELD', 'CONFIRMED', 'EXPIRED', 'RELEASED', 'REFUND_REQUIRED', 'REJECTED']),
    expiresAt: z.string().optional().describe('When an unpaid hold returns its seats'),
    reason: z.string().optional(),
  })
  .meta({ id: 'Order' });
const pendingView = z.object({ id: z.uuid(), status: z.literal('PENDING') }).meta({ id: 'PendingOrder' });
/** Text the provider sends that is stored as is: PostgreSQL text cannot hold U+0000. */
const providerText = (max: number) =>
  z
    .string()
    .max(max)
    // A pattern, not a refinement, so the OpenAPI document says it too (clients and fuzzers read it).
    // eslint-disable-next-line no-control-regex -- U+0000 is exactly the character refused
    .regex(/^[^\u0000]*$/, 'must not contain U+0000');
const paymentCallback = z
  .strictObject({
    id: providerText(200).min(1).describe('Provider event id; a redelivered callback is applied once'),
    type: z.enum(['payment.succeeded', 'payment.failed']),
    data: z.strictObject({
      orderId: z.uuid(),
      amountMinor: z.int().min(0),
      currency: z.string().regex(/^[A-Z]{3}$/),
      reason: providerText(500).optional(),
    }),
  })
  .meta({ id: 'PaymentCallback' });

/** Where a created order leads: its lookup, its release and its payment (the provider's callback). */
const orderLinks = {
  GetOrder: { operationId: 'getOrder', parameters: { orderId: '$response.body#/id' } },
  ReleaseOrder: { operationId: 'releaseOrder', parameters: { orderId: '$response.body#/id' } },
  PayOrder: {
    operationId: 'paymentWebhook',
    description: 'The payment provider reports the outcome of paying this order',
    requestBody: { data: { orderId: '$response.body#/id' } },
  },
};

export function purchaseRoutes(deps: {
  orders: OrdersService;
  waitingList: WaitingListService;
  pool: pg.Pool;
  verifier: JwtVerifier;
  redis: Redis;
  webhookSecret: string;
  perBuyerPerSecond: number;
  /** Channels a token's `channel` claim may name (default: only `online`). */
  salesChannels?: string[];
  outcomes: Counter;
}): AnyRoute[] {
  const authenticated = [
    requireBuyer(deps.verifier),
    perBuyerRateLimit({ redis: deps.redis, points: deps.perBuyerPerSecond, durationSeconds: 1 }),
  ];
  const answer = (
    request: PlaceOrder,
    result: PlaceOrderResult,
  ): never | { status: number; body: unknown; location?: string } => {
    deps.outcomes.inc(orderAnswerLabels(request, result));
    switch (result.kind) {
      case 'accepted':
        return { status: 201, body: result.order, location: `/v1/orders/${result.order.id}` };
      case 'pending':
        return {
          status: 202,
          body: { id: result.orderId, status: 'PENDING' },
          location: `/v1/orders/${result.orderId}`,
        };
      case 'sold_out':
        throw new AppError(PurchaseErrors.SoldOut, {
          detail: 'no shard has enough tickets of this type left',
        });
      case 'limit_reached':
        throw new AppError(PurchaseErrors.LimitReached, {
          detail: 'this order would exceed your per-buyer limit for the event',
          extensions: { orderId: result.orderId },
        });
      case 'event_not_found':
        throw new AppError(PurchaseErrors.EventNotFound);
      case 'unknown_ticket_type':
        throw new AppError(PurchaseErrors.UnknownTicketType);
      case 'over_limit':
        throw new AppError(PurchaseErrors.OverLimit, {
          detail: `at most ${result.limit} tickets per buyer`,
          extensions: { limit: result.limit },
        });
      case 'not_on_sale':
        throw new AppError(PurchaseErrors.NotOnSale, {
          detail: `the sale is ${result.state}`,
          extensions: { sale: result.state },
        });
      case 'idempotency_conflict':
        throw new AppError(PurchaseErrors.IdempotencyConflict);
      case 'unavailable':
        throw new AppError(PurchaseErrors.OrderingUnavailable, { headers: { 'Retry-After': '1' } });
    }
  };

  return [
    defineRoute({
      operationId: 'createOrder',
      method: 'post',
      path: '/v1/events/{namespace}/{name}/orders',
      summary: 'Hold tickets: 201 with the hold, 202 while the allocator has not answered, 409 when sold out',
      tags: ['orders'],
      middleware: authenticated,
      request: {
        params: eventParams,
        headers: z.object({
          'idempotency-key': z.string().min(1).max(200).describe('Same key and body → same order'),
        }),
        body: z
          .strictObject({ ticketType: z.string().min(1).max(32), quantity: z.int().min(1).max(100) })
          .meta({ id: 'OrderRequest' }),
      },
      responses: {
        201: { description: 'Held (or confirmed, for free tickets)', schema: orderView, links: orderLinks },
        202: { description: 'Accepted; poll the Location', schema: pendingView, links: orderLinks },
      },
      problems: Object.values(PurchaseErrors).filter(
        (e) =>
          e !== PurchaseErrors.OrderNotFound &&
          e !== PurchaseErrors.NotHeld &&
          !waitingListOnlyProblems.has(e),
      ),
      handler: async ({ params, headers, body }, _req, res) => {
        const request = {
          event: params,
          buyerId: buyerOf(res).buyerId,
          channel: channelFromClaims(buyerOf(res).claims, deps.salesChannels ?? []),
          ticketType: body.ticketType,
          quantity: body.quantity,
          idempotencyKey: headers['idempotency-key'],
        };
        const result = answer(request, await deps.orders.place(request));
        if (result.location) res.location(result.location);
        res.status(result.status).json(result.body);
      },
    }),
    ...waitingListRoutes({
      waitingList: deps.waitingList,
      authenticated,
      ...(deps.salesChannels ? { salesChannels: deps.salesChannels } : {}),
    }),
    // The read of one order is query-api's, mounted here too: the Ingress cannot send GET and DELETE
    // of this path to different APIs, and the Location of 201/202 answers names it.
    getOrderRoute({ pool: deps.pool, authenticated, notFound: PurchaseErrors.OrderNotFound }),
    defineRoute({
      operationId: 'releaseOrder',
      method: 'delete',
      path: '/v1/orders/{orderId}',
      summary: 'Release an unpaid hold (its seats return to the event)',
      tags: ['orders'],
      middleware: authenticated,
      request: { params: orderParams },
      responses: {
        200: { description: 'Released', schema: orderView },
        202: { description: 'Release accepted', schema: pendingView },
      },
      problems: [PurchaseErrors.OrderNotFound, PurchaseErrors.NotHeld, PurchaseErrors.OrderingUnavailable],
      handler: async ({ params }, _req, res) => {
        const result = await deps.orders.release(params.orderId, buyerOf(res).buyerId);
        if (result.kind === 'not_found') throw new AppError(PurchaseErrors.OrderNotFound);
        if (result.kind === 'not_held')
          throw new AppError(PurchaseErrors.NotHeld, { detail: `the order is ${result.order.status}` });
        if (result.kind === 'unavailable')
          throw new AppError(PurchaseErrors.OrderingUnavailable, { headers: { 'Retry-After': '1' } });
        if (result.kind === 'released') res.status(200).json({ id: result.orderId, status: 'RELEASED' });
        else res.status(202).json({ id: result.orderId, status: 'PENDING' });
      },
    }),
    defineRoute({
      operationId: 'paymentWebhook',
      method: 'post',
      path: '/v1/payments/webhook',
      summary:
        'Payment provider callback (HMAC-SHA256 signed): confirms or fails a hold, once per provider event',
      tags: ['payments'],
      middleware: [requireWebhookSignature({ secrets: deps.webhookSecret })],
      request: { body: paymentCallback },
      responses: {
        202: {
          description: 'Accepted for the order’s shard',
          schema: z.object({ received: z.literal(true) }),
        },
      },
      problems: [PurchaseErrors.OrderNotFound, PurchaseErrors.OrderingUnavailable],
      handler: async ({ body }, _req, res) => {
        const result = await deps.orders.payment({
          providerEventId: body.id,
          orderId: body.data.orderId,
          outcome: body.type === 'payment.succeeded' ? 'succeeded' : 'failed',
          amountMinor: body.data.amountMinor,
          currency: body.data.currency,
          ...(body.data.reason ? { reason: body.data.reason } : {}),
        });
        if (result === 'unknown_order') throw new AppError(PurchaseErrors.OrderNotFound);
        if (result === 'unavailable')
          throw new AppError(PurchaseErrors.OrderingUnavailable, { headers: { 'Retry-After': '1' } });
        res.status(202).json({ received: true });
      },
    }),
  ] as AnyRoute[];
}

import { defineErrors } from '@boxoffice/platform/errors/registry';

/** purchase-api's problems: stable codes (type URIs) that clients and tests rely on. */
export const PurchaseErrors = defineErrors({
  SoldOut: { code: 'sold-out', status: 409, title: 'Sold out' },
  LimitReached: { code: 'limit-reached', status: 409, title: 'Per-buyer limit reached' },
  NotOnSale: { code: 'not-on-sale', status: 409, title: 'The event is not on sale' },
  UnknownTicketType: { code: 'unknown-ticket-type', status: 400, title: 'Unknown ticket type' },
  OverLimit: { code: 'quantity-over-limit', status: 400, title: 'Quantity above the per-buyer limit' },
  EventNotFound: { code: 'event-not-found', status: 404, title: 'Event not found' },
  OrderNotFound: { code: 'order-not-found', status: 404, title: 'Order not found' },
  NotHeld: { code: 'order-not-held', status: 409, title: 'The order is not an unpaid hold' },
  ChannelNotAllowed: {
    code: 'channel-not-allowed',
    status: 403,
    title: "The token's sales channel is not accepted here",
  },
  IdempotencyConflict: {
    code: 'idempotency-key-reused',
    status: 422,
    title: 'Idempotency-Key reused with another request',
  },
  NotSoldOut: {
    code: 'not-sold-out',
    status: 409,
    title: 'Tickets of this type are still on sale: buy them instead of waiting',
  },
  AlreadyWaiting: { code: 'already-waiting', status: 409, title: 'You are already on this waiting list' },
  WaitingListOffered: {
    code: 'waiting-list-offered',
    status: 409,
    title: 'Seats were offered to you from the waiting list: your order holds them',
  },
  NotWaiting: { code: 'not-waiting', status: 404, title: 'You are not on this waiting list' },
  OrderingUnavailable: {
    code: 'ordering-unavailable',
    status: 503,
    title: 'Orders cannot be accepted right now',
    retryable: true,
  },
});

/** The problems only the waiting list answers with (not listed for the other operations). */
export const waitingListOnlyProblems: ReadonlySet<unknown> = new Set([
  PurchaseErrors.NotSoldOut,
  PurchaseErrors.AlreadyWaiting,
  PurchaseErrors.WaitingListOffered,
  PurchaseErrors.NotWaiting,
]);

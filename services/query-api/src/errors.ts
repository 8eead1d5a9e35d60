import { defineErrors } from '@boxoffice/platform/errors/registry';

/** query-api's problems: stable codes (type URIs) that clients and tests rely on. */
export const QueryErrors = defineErrors({
  EventNotFound: { code: 'event-not-found', status: 404, title: 'Event not found' },
  OrderNotFound: { code: 'order-not-found', status: 404, title: 'Order not found' },
  NotOrganizer: {
    code: 'not-organizer',
    status: 403,
    title: "The token does not manage this organizer's events",
  },
  TicketNotFound: { code: 'ticket-not-found', status: 404, title: 'No ticket has this code' },
  AlreadyAdmitted: {
    code: 'already-admitted',
    status: 409,
    title: 'This ticket was already admitted (see admittedAt and scannedBy)',
  },
  TicketForAnotherEvent: {
    code: 'ticket-for-another-event',
    status: 422,
    title: 'This ticket is for another event',
  },
  TicketNotAdmissible: {
    code: 'ticket-not-admissible',
    status: 422,
    title: "This ticket's order is not paid (refunded, expired or released)",
  },
  InvalidCursor: { code: 'invalid-cursor', status: 400, title: 'The page cursor is not valid' },
  TooManyStreams: {
    code: 'too-many-streams',
    status: 429,
    title: 'Too many open streams from this client',
    retryable: true,
  },
  StreamsFull: {
    code: 'streams-full',
    status: 503,
    title: 'This instance serves as many streams as it can',
    retryable: true,
  },
});

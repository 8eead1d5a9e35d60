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

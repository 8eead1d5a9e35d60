import { defineErrors } from './registry.ts';

/** Failures of the shared plumbing (HTTP, auth, limits, health); domain packages declare their own. */
export const PlatformErrors = defineErrors({
  Internal: { code: 'internal', status: 500, title: 'Internal server error' },
  InvalidRequest: { code: 'invalid-request', status: 400, title: 'The request is not valid' },
  MalformedJson: { code: 'malformed-json', status: 400, title: 'The request body is not valid JSON' },
  Unauthenticated: { code: 'unauthenticated', status: 401, title: 'Authentication is required' },
  InvalidToken: { code: 'invalid-token', status: 401, title: 'The access token is not valid' },
  InvalidSignature: { code: 'invalid-signature', status: 401, title: 'The request signature is not valid' },
  NotFound: { code: 'not-found', status: 404, title: 'Not found' },
  MethodNotAllowed: { code: 'method-not-allowed', status: 405, title: 'Method not allowed' },
  PayloadTooLarge: { code: 'payload-too-large', status: 413, title: 'The request body is too large' },
  UnsupportedMediaType: {
    code: 'unsupported-media-type',
    status: 415,
    title: 'The request body must be application/json',
  },
  RateLimited: { code: 'rate-limited', status: 429, title: 'Too many requests', retryable: true },
  Unavailable: { code: 'unavailable', status: 503, title: 'Service unavailable', retryable: true },
});

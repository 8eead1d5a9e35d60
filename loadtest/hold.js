// One hold attempt as every k6 purchase scenario sends it: one standard ticket with a fresh
// Idempotency-Key (k6's WebCrypto `crypto.randomUUID()`).
import http from 'k6/http';
import { SharedArray } from 'k6/data';

const body = JSON.stringify({ ticketType: 'standard', quantity: 1 });

/**
 * The buyer tokens of `file`, parsed once for all virtual users: a plain `JSON.parse(open())` runs
 * in every VU's init context, so 1,000 VUs × 40,000 tokens held 1,000 copies (gigabytes, and
 * seconds of k6 CPU per VU started mid-run by an arrival-rate scenario).
 */
export function loadTokens(file) {
  return new SharedArray(`tokens ${file}`, () => JSON.parse(open(file)));
}

/** The next buyer's index: cycling through them, so the per-buyer limit never decides an answer. */
export function nextBuyer(tokens) {
  return (__VU * 7919 + __ITER) % tokens.length;
}

/** The next buyer's token (see nextBuyer). */
export function nextToken(tokens) {
  return tokens[nextBuyer(tokens)];
}

/**
 * The client address an ingress would forward for buyer `i` (X-Forwarded-For): one address per
 * buyer, 10.0.0.0/8, so per-IP limits count each buyer's own requests as they would in a cluster.
 */
export function clientAddress(i) {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

/**
 * `forwardedFor`: the client address to send as X-Forwarded-For (as an ingress would), or none
 * (every request then comes from the load generator's one address).
 */
export function requestHold(url, token, params = {}, forwardedFor) {
  return http.post(url, body, {
    ...params,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      'idempotency-key': crypto.randomUUID(),
      ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
    },
  });
}

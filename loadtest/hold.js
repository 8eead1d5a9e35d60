// One hold attempt as every k6 purchase scenario sends it: one standard ticket with a fresh
// Idempotency-Key (k6's WebCrypto `crypto.randomUUID()`).
import http from 'k6/http';

const body = JSON.stringify({ ticketType: 'standard', quantity: 1 });

/** The next buyer's token: cycling through them, so the per-buyer limit never decides an answer. */
export function nextToken(tokens) {
  return tokens[(__VU * 7919 + __ITER) % tokens.length];
}

export function requestHold(url, token, params = {}) {
  return http.post(url, body, {
    ...params,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      'idempotency-key': crypto.randomUUID(),
    },
  });
}

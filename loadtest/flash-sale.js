// k6 flash sale: many buyers (distinct tokens), a fresh Idempotency-Key per attempt, an event
// oversubscribed several times, run until every request is answered. A 202 is followed like a
// client would: poll the order until it is final. Fails on any 5xx or unexpected status, a pending
// order that never settles, slow holds or slow sold-out answers, and (teardown) unless the API shows
// held + sold == capacity exactly.
// FORWARDED=1 sends each buyer's own client address as X-Forwarded-For, as an ingress does.
//   k6 run -e PURCHASE_URL=… -e QUERY_URL=… -e EVENT=ns/name -e TOKENS=tokens.json -e REQUESTS=10000 loadtest/flash-sale.js
import http from 'k6/http';
import { clientAddress, loadTokens, nextBuyer, requestHold } from './hold.js';
import { check, fail, sleep } from 'k6';
import { Counter, Trend } from 'k6/metrics';

const tokens = loadTokens(__ENV.TOKENS);
const [namespace, name] = __ENV.EVENT.split('/');
const requests = Number(__ENV.REQUESTS ?? 10000);
const forwarded = __ENV.FORWARDED === '1';

const holds = new Counter('holds'); // 201
const pending = new Counter('pending'); // 202
const pendingHeld = new Counter('pending_then_held');
const pendingRejected = new Counter('pending_then_rejected');
const pendingUnsettled = new Counter('pending_unsettled');
const soldOut = new Counter('sold_out'); // 409
const unexpected = new Counter('unexpected_status');
const holdLatency = new Trend('hold_latency', true);
const soldOutLatency = new Trend('sold_out_latency', true);
const orderLatency = new Trend('order_latency', true); // every answer to POST …/orders

// 409 (sold out, limit) is an expected answer; 200/404 are the order polls and the teardown's reads.
http.setResponseCallback(http.expectedStatuses(200, 201, 202, 404, 409));

export const options = {
  scenarios: {
    flash: {
      executor: 'shared-iterations',
      vus: Number(__ENV.VUS ?? 64),
      iterations: requests,
      maxDuration: __ENV.MAX_DURATION ?? '5m',
    },
  },
  thresholds: {
    unexpected_status: ['count==0'],
    pending_unsettled: ['count==0'],
    http_req_failed: ['rate==0'],
    hold_latency: [`p(99)<${__ENV.HOLD_P99_MS ?? 1000}`],
    sold_out_latency: [`p(99)<${__ENV.SOLD_OUT_P99_MS ?? 500}`],
  },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
};

export default function () {
  const buyer = nextBuyer(tokens);
  const token = tokens[buyer];
  const address = forwarded ? clientAddress(buyer) : undefined;
  const res = requestHold(
    `${__ENV.PURCHASE_URL}/v1/events/${namespace}/${name}/orders`,
    token,
    { tags: { name: 'POST orders' } },
    address,
  );
  const ok = check(res, {
    'status is 201, 202 or 409': (r) => r.status === 201 || r.status === 202 || r.status === 409,
  });
  if (!ok) unexpected.add(1, { status: String(res.status) });
  orderLatency.add(res.timings.duration);
  if (res.status === 201) {
    holds.add(1);
    holdLatency.add(res.timings.duration);
  } else if (res.status === 202) {
    pending.add(1);
    holdLatency.add(res.timings.duration);
    settle(res.json('id'), token, address);
  } else if (res.status === 409) {
    soldOut.add(1);
    soldOutLatency.add(res.timings.duration);
  }
}

/** Polls a pending order (owner only, through query-api) until the allocator has decided it. */
function settle(orderId, token, address) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const res = http.get(`${__ENV.QUERY_URL}/v1/orders/${orderId}`, {
      headers: { authorization: `Bearer ${token}`, ...(address ? { 'x-forwarded-for': address } : {}) },
      tags: { name: 'GET order' },
    });
    if (res.status === 200) {
      const status = res.json('status');
      if (status === 'HELD' || status === 'CONFIRMED') return void pendingHeld.add(1);
      if (status === 'REJECTED') return void pendingRejected.add(1);
    } else if (res.status !== 404) {
      unexpected.add(1, { status: String(res.status) });
      return;
    }
    sleep(0.1);
  }
  pendingUnsettled.add(1);
}

export function teardown() {
  // Everything answered 201/202/409; the allocators may still be finishing their last batches.
  for (let attempt = 0; attempt < 30; attempt++) {
    const event = http.get(`${__ENV.QUERY_URL}/v1/events/${namespace}/${name}`).json();
    const type = event.ticketTypes.find((t) => t.name === 'standard');
    if (type.held + type.sold + type.remaining !== type.capacity)
      fail(`counters do not add up: ${JSON.stringify(type)}`);
    if (type.held + type.sold > type.capacity) fail(`oversold: ${JSON.stringify(type)}`);
    if (type.remaining === 0 && type.held + type.sold === type.capacity) return;
    sleep(1);
  }
  fail('the event did not sell out exactly to capacity');
}

// k6 flash sale: many buyers (distinct tokens), a fresh Idempotency-Key per attempt, an event
// oversubscribed several times, run until every request is answered. Fails on any 5xx or
// unexpected status, on slow holds or slow sold-out answers, and (teardown) unless the API shows
// held + sold == capacity exactly.
//   k6 run -e PURCHASE_URL=… -e QUERY_URL=… -e EVENT=ns/name -e TOKENS=tokens.json -e REQUESTS=10000 loadtest/flash-sale.js
import http from 'k6/http';
import { check, fail, sleep } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { uuidv4 } from './uuid.js';

const tokens = JSON.parse(open(__ENV.TOKENS));
const [namespace, name] = __ENV.EVENT.split('/');
const requests = Number(__ENV.REQUESTS ?? 10000);

const holds = new Counter('holds');
const soldOut = new Counter('sold_out');
const unexpected = new Counter('unexpected_status');
const holdLatency = new Trend('hold_latency', true);
const soldOutLatency = new Trend('sold_out_latency', true);

// 409 (sold out, limit) is an expected answer here; 200 is the teardown's read.
http.setResponseCallback(http.expectedStatuses(200, 201, 202, 409));

export const options = {
  scenarios: {
    flash: {
      executor: 'shared-iterations',
      vus: Number(__ENV.VUS ?? 64),
      iterations: requests,
      maxDuration: '5m',
    },
  },
  thresholds: {
    unexpected_status: ['count==0'],
    http_req_failed: ['rate==0'],
    hold_latency: [`p(99)<${__ENV.HOLD_P99_MS ?? 1000}`],
    sold_out_latency: [`p(99)<${__ENV.SOLD_OUT_P99_MS ?? 500}`],
  },
};

export default function () {
  const token = tokens[(__VU * 7919 + __ITER) % tokens.length];
  const res = http.post(
    `${__ENV.PURCHASE_URL}/v1/events/${namespace}/${name}/orders`,
    JSON.stringify({ ticketType: 'standard', quantity: 1 }),
    {
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'idempotency-key': uuidv4(),
      },
    },
  );
  const ok = check(res, {
    'status is 201, 202 or 409': (r) => r.status === 201 || r.status === 202 || r.status === 409,
  });
  if (!ok) unexpected.add(1, { status: String(res.status) });
  if (res.status === 201 || res.status === 202) {
    holds.add(1);
    holdLatency.add(res.timings.duration);
  } else if (res.status === 409) {
    soldOut.add(1);
    soldOutLatency.add(res.timings.duration);
  }
}

export function teardown() {
  // 202s settle within the allocator's reply window; give them a moment, then check via the API.
  for (let attempt = 0; attempt < 30; attempt++) {
    const event = http.get(`${__ENV.QUERY_URL}/v1/events/${namespace}/${name}`).json();
    const type = event.ticketTypes.find((t) => t.name === 'standard');
    if (type.held + type.sold + type.remaining !== type.capacity)
      fail(`counters do not add up: ${JSON.stringify(type)}`);
    if (type.remaining === 0 && type.held + type.sold === type.capacity) return;
    sleep(1);
  }
  fail('the event did not sell out exactly to capacity');
}

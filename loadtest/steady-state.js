// k6 steady state: holds at a constant arrival rate (an open model: requests keep coming whether or
// not earlier ones were answered), for latency percentiles under a known load. The event is large
// enough never to sell out. Fails on any 5xx or unexpected status, dropped iterations (k6 could not
// keep the rate) or a p99 above P99_MS.
//   k6 run -e PURCHASE_URL=… -e EVENT=ns/name -e TOKENS=tokens.json -e RATE=200 -e DURATION=30s loadtest/steady-state.js
import http from 'k6/http';
import { loadTokens, nextToken, requestHold } from './hold.js';
import { check } from 'k6';
import { Counter } from 'k6/metrics';

const tokens = loadTokens(__ENV.TOKENS);
const [namespace, name] = __ENV.EVENT.split('/');
const holds = new Counter('holds');
const pending = new Counter('pending');
const unexpected = new Counter('unexpected_status');
http.setResponseCallback(http.expectedStatuses(201, 202));

export const options = {
  scenarios: {
    steady: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE ?? 200),
      timeUnit: '1s',
      duration: __ENV.DURATION ?? '30s',
      preAllocatedVUs: Number(__ENV.PRE_VUS ?? 100),
      maxVUs: Number(__ENV.MAX_VUS ?? 500),
    },
  },
  thresholds: {
    unexpected_status: ['count==0'],
    http_req_failed: ['rate==0'],
    dropped_iterations: ['count==0'],
    http_req_duration: [`p(99)<${__ENV.P99_MS ?? 250}`],
  },
  summaryTrendStats: ['avg', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

export default function () {
  const res = requestHold(`${__ENV.PURCHASE_URL}/v1/events/${namespace}/${name}/orders`, nextToken(tokens));
  if (!check(res, { 'status is 201 or 202': (r) => r.status === 201 || r.status === 202 }))
    unexpected.add(1, { status: String(res.status) });
  if (res.status === 201) holds.add(1);
  else if (res.status === 202) pending.add(1);
}

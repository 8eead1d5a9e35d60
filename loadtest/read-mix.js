// k6 read mix: what buyers do most, against query-api — the catalog (GET /v1/events, 20 %) and one
// event with its availability (GET /v1/events/{ns}/{name}, 80 %) — at a constant arrival rate.
// Fails on any error, an answer without availability, dropped iterations or a p99 above P99_MS.
//   k6 run -e QUERY_URL=… -e EVENTS=ns/a,ns/b -e RATE=500 -e DURATION=30s loadtest/read-mix.js
import http from 'k6/http';
import { check } from 'k6';

const events = __ENV.EVENTS.split(',');

export const options = {
  scenarios: {
    reads: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE ?? 500),
      timeUnit: '1s',
      duration: __ENV.DURATION ?? '30s',
      preAllocatedVUs: Number(__ENV.PRE_VUS ?? 50),
      maxVUs: Number(__ENV.MAX_VUS ?? 300),
    },
  },
  thresholds: {
    checks: ['rate==1'],
    http_req_failed: ['rate==0'],
    dropped_iterations: ['count==0'],
    'http_req_duration{name:catalog}': [`p(99)<${__ENV.P99_MS ?? 100}`],
    'http_req_duration{name:event}': [`p(99)<${__ENV.P99_MS ?? 100}`],
  },
  summaryTrendStats: ['avg', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

export default function () {
  if (Math.random() < 0.2) {
    const res = http.get(`${__ENV.QUERY_URL}/v1/events`, { tags: { name: 'catalog' } });
    check(res, { 'catalog lists events': (r) => r.status === 200 && r.json('items').length > 0 });
    return;
  }
  const event = events[Math.floor(Math.random() * events.length)];
  const res = http.get(`${__ENV.QUERY_URL}/v1/events/${event}`, { tags: { name: 'event' } });
  check(res, {
    'event shows availability': (r) =>
      r.status === 200 && r.json('ticketTypes').every((t) => typeof t.remaining === 'number'),
  });
}

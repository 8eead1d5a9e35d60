// k6 load of the fault suite (loadtest/faults/): a flash sale at a constant arrival rate, so the
// load at the moment of a fault is known, while the suite breaks something. It judges nothing
// itself: every answer is counted by status, and every accepted order's id (201 or 202) goes into
// the `accepted` samples of `--out json`, which the suite's audit then looks up in PostgreSQL.
//   k6 run -e PURCHASE_URL=… -e EVENT=ns/name -e TOKENS=tokens.json -e RATE=100 -e DURATION=40s faults.js
import { Counter } from 'k6/metrics';
import { nextToken, requestHold } from '../hold.js';

const tokens = JSON.parse(open(__ENV.TOKENS));
const [namespace, name] = __ENV.EVENT.split('/');

const answers = new Counter('answers');
const accepted = new Counter('accepted');

export const options = {
  scenarios: {
    sale: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE ?? 60),
      timeUnit: '1s',
      duration: __ENV.DURATION ?? '40s',
      preAllocatedVUs: Number(__ENV.VUS ?? 300),
      maxVUs: Number(__ENV.MAX_VUS ?? 400),
    },
  },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
};

export default function () {
  const res = requestHold(`${__ENV.PURCHASE_URL}/v1/events/${namespace}/${name}/orders`, nextToken(tokens), {
    tags: { name: 'POST orders' },
    timeout: '30s',
  });
  answers.add(1, { status: String(res.status) });
  if (res.status === 201 || res.status === 202)
    accepted.add(1, { status: String(res.status), id: res.json('id') });
}

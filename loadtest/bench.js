// k6 load for `npm run bench`: either a closed loop of VUS virtual users for DURATION (peak), or a
// constant arrival RATE per second (latency at a fixed load). Each request asks to hold one ticket.
// URL is one orders URL, or several separated by spaces (events on sale at once: requests spread
// evenly). FORWARDED=1 sends each buyer's own client address as X-Forwarded-For, as an ingress does.
import http from 'k6/http';
import { clientAddress, loadTokens, nextBuyer, requestHold } from './hold.js';
import { Counter } from 'k6/metrics';

const tokens = loadTokens(__ENV.TOKENS);
const urls = __ENV.URL.split(' ');
const forwarded = __ENV.FORWARDED === '1';
const holds = new Counter('holds'); // 201
const pending = new Counter('pending'); // 202
const soldOut = new Counter('sold_out'); // 409
const limited = new Counter('rate_limited'); // 429
const unexpected = new Counter('unexpected_status');
http.setResponseCallback(http.expectedStatuses(201, 202, 409));

export const options = __ENV.RATE
  ? {
      scenarios: {
        fixed: {
          executor: 'constant-arrival-rate',
          rate: Number(__ENV.RATE),
          timeUnit: '1s',
          duration: __ENV.DURATION,
          preAllocatedVUs: Number(__ENV.PRE_VUS ?? 100),
          maxVUs: Number(__ENV.MAX_VUS ?? 1000),
        },
      },
    }
  : {
      scenarios: {
        peak: { executor: 'constant-vus', vus: Number(__ENV.VUS ?? 64), duration: __ENV.DURATION },
      },
    };
options.summaryTrendStats = ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'];
// Only the status is read: k6 spends no CPU keeping bodies (it shares the cores with the servers).
options.discardResponseBodies = true;

export default function () {
  const buyer = nextBuyer(tokens);
  const url = urls.length === 1 ? urls[0] : urls[(__VU + __ITER) % urls.length];
  const res = requestHold(url, tokens[buyer], {}, forwarded ? clientAddress(buyer) : undefined);
  if (res.status === 201) holds.add(1);
  else if (res.status === 202) pending.add(1);
  else if (res.status === 409) soldOut.add(1);
  else if (res.status === 429) limited.add(1);
  else unexpected.add(1);
}

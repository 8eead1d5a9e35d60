/**
 * A short purchase run that makes every kind of series appear, the way buyers and the payment
 * provider would: a k6 flash sale that sells out the standard tickets; a VIP hold that is paid, one
 * that is released, one that is refused for the per-buyer limit; a message the allocator must
 * dead-letter; and the holds nobody pays expiring after the event's hold TTL.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signLocalToken } from '@boxoffice/platform/auth/jwt';
import { SIGNATURE_HEADER, signWebhook } from '@boxoffice/platform/auth/webhook-signature';
import { eventTopic } from '@boxoffice/store';
import { eventually, kafkaAs } from '@boxoffice/testkit';
import { count, runK6 } from '../../loadtest/k6.ts';
import { loadTestSecret, writeTokens } from '../../loadtest/platform.ts';
import type { Window } from './dashboard-queries.ts';
import { SALE, SCRAPE_INTERVAL_SECONDS, type ObservedPlatform } from './observed-platform.ts';

/** The webhook secret of loadtest/platform.ts's service environment. */
const WEBHOOK_SECRET = 'boxoffice-load-test-webhook-secret';

export interface PurchaseRun {
  /** Unix seconds: the window the dashboards are evaluated over. */
  startedAt: number;
  endedAt: number;
  k6ExitCode: number;
  /** 409 sold-out answers k6 saw. */
  soldOut: number;
  holds: number;
}

const token = (buyerId: string): Promise<string> =>
  signLocalToken({ secret: loadTestSecret, issuer: 'boxoffice-local', audience: 'boxoffice', buyerId });

async function placeOrder(
  platform: ObservedPlatform,
  buyer: string,
  ticketType: string,
  quantity: number,
): Promise<{ status: number; id?: string }> {
  const response = await fetch(
    `${platform.purchase.url}/v1/events/${platform.event.namespace}/${platform.event.name}/orders`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await token(buyer)}`,
        'idempotency-key': crypto.randomUUID(),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ ticketType, quantity }),
    },
  );
  const body = (await response.json()) as { id?: string; orderId?: string };
  return { status: response.status, id: body.id ?? body.orderId };
}

/** Polls query-api until the order has `status` (or throws after 30 s). */
async function waitForStatus(platform: ObservedPlatform, buyer: string, orderId: string, status: string) {
  const deadline = Date.now() + 30_000;
  let seen = '';
  while (Date.now() < deadline) {
    const response = await fetch(`${platform.query.url}/v1/orders/${orderId}`, {
      headers: { authorization: `Bearer ${await token(buyer)}` },
    });
    if (response.ok) seen = ((await response.json()) as { status: string }).status;
    if (seen === status) return;
    await sleep(200);
  }
  throw new Error(`order ${orderId} of ${buyer} is ${seen || 'unknown'}, not ${status}`);
}

async function hold(platform: ObservedPlatform, buyer: string, quantity: number): Promise<string> {
  const placed = await placeOrder(platform, buyer, 'vip', quantity);
  if (placed.status !== 201 && placed.status !== 202)
    throw new Error(`${buyer}: order answered ${placed.status}`);
  await waitForStatus(platform, buyer, placed.id!, 'HELD');
  return placed.id!;
}

async function pay(platform: ObservedPlatform, orderId: string, amountMinor: number): Promise<void> {
  const body = JSON.stringify({
    id: `evt-${crypto.randomUUID()}`,
    type: 'payment.succeeded',
    data: { orderId, amountMinor, currency: 'EUR' },
  });
  const response = await fetch(`${platform.purchase.url}/v1/payments/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(WEBHOOK_SECRET, body) },
    body,
  });
  if (response.status !== 202) throw new Error(`payment webhook answered ${response.status}`);
}

async function release(platform: ObservedPlatform, buyer: string, orderId: string): Promise<void> {
  const response = await fetch(`${platform.purchase.url}/v1/orders/${orderId}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${await token(buyer)}` },
  });
  if (response.status !== 200 && response.status !== 202)
    throw new Error(`release answered ${response.status}`);
}

/** A message no schema accepts, straight onto shard 0's partition: the allocator dead-letters it. */
async function produceMalformed(platform: ObservedPlatform): Promise<void> {
  // purchase-api's principal: the one allowed to write purchase topics.
  const producer = kafkaAs('purchase-api', 'observability-test', { logLevel: 'fatal' }).producer();
  await producer.connect();
  try {
    await producer.send({
      topic: eventTopic(platform.event),
      acks: -1,
      messages: [{ key: 'malformed', value: '{"v":1,"kind":"purchase.requested"', partition: 0 }],
    });
  } finally {
    await producer.disconnect();
  }
}

export async function purchaseRun(platform: ObservedPlatform): Promise<PurchaseRun> {
  const startedAt = Date.now() / 1000;
  const tokens = await writeTokens(platform.logDir, 200);
  const k6 = await runK6(
    platform.settings.K6_BIN!,
    'flash-sale.js',
    {
      PURCHASE_URL: platform.purchase.url,
      QUERY_URL: platform.query.url,
      EVENT: platform.eventLabel,
      TOKENS: tokens,
      REQUESTS: String(SALE.standard.capacity * 4),
      VUS: '16',
      // Latency is the benchmarks' business; here k6's exit code says whether every answer was right.
      HOLD_P99_MS: '60000',
      SOLD_OUT_P99_MS: '60000',
    },
    join(platform.logDir, 'k6-summary.json'),
  );

  const paid = await hold(platform, 'obs-payer', 2);
  await pay(platform, paid, 2 * SALE.vip.price);
  await waitForStatus(platform, 'obs-payer', paid, 'CONFIRMED');

  const released = await hold(platform, 'obs-releaser', 1);
  await release(platform, 'obs-releaser', released);
  await waitForStatus(platform, 'obs-releaser', released, 'RELEASED');

  await hold(platform, 'obs-greedy', 3);
  const overLimit = await placeOrder(platform, 'obs-greedy', 'vip', 3);
  if (overLimit.status !== 409 && overLimit.status !== 202)
    throw new Error(`an order over the per-buyer limit answered ${overLimit.status}`);
  if (overLimit.status === 202) await waitForStatus(platform, 'obs-greedy', overLimit.id!, 'REJECTED');

  await produceMalformed(platform);

  // Every hold nobody paid expires (the sweeper sends hold.expire, the allocators apply it).
  const deadline = Date.now() + (SALE.holdTtlSeconds + 60) * 1000;
  for (;;) {
    const { rows } = await platform.world.pool.query<{ held: string }>(
      `SELECT count(*) AS held FROM orders WHERE status = 'HELD'`,
    );
    if (rows[0]!.held === '0') break;
    if (Date.now() > deadline) throw new Error(`${rows[0]!.held} holds did not expire`);
    await sleep(500);
  }
  // The last changes reach the sale observer (1 s) and Prometheus: a few scrapes and rule evaluations.
  await eventually(
    async () => {
      const expired = await platform.prometheus.query(
        `sum(boxoffice_orders_total{event="${platform.eventLabel}", outcome="expired"})`,
      );
      if (!(Number(expired[0]?.value[1] ?? 0) > 0))
        throw new Error('Prometheus has not seen the expiries yet');
    },
    { timeoutMs: 30_000 },
  );
  await sleep(5_000);
  return {
    startedAt,
    endedAt: Date.now() / 1000,
    k6ExitCode: k6.code,
    soldOut: count(k6.metrics, 'sold_out'),
    holds: count(k6.metrics, 'holds') + count(k6.metrics, 'pending_then_held'),
  };
}

/** The run as the dashboards are evaluated over: its time range and a 2 s step. */
export function runWindow(run: PurchaseRun): Window {
  return {
    start: Math.floor(run.startedAt) - 5,
    end: Math.ceil(Date.now() / 1000),
    stepSeconds: 2,
    scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
  };
}

/** The dashboards' variables set to the run's event. */
export const chosen = (platform: ObservedPlatform): Record<string, string> => ({
  namespace: platform.event.namespace,
  event: platform.eventLabel,
});

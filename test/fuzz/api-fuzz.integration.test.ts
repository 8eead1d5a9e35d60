import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SIGNATURE_HEADER, signWebhook } from '@boxoffice/platform/auth/webhook-signature';
import { FuzzPlatform, webhookSecret } from './fuzz-platform.ts';
import { countAnswers, fuzzApi, type FuzzBudget, type FuzzRun } from './schemathesis.ts';

/**
 * schemathesis against both APIs' OpenAPI documents on the real purchase path (docs/reliability.md,
 * "Fuzzing"). `npm test` runs a bounded number of examples; `npm run fuzz` sets BOXOFFICE_FUZZ_EXAMPLES
 * and BOXOFFICE_FUZZ_MAX_TIME for a longer run. Each run's HAR report stays in .boxoffice/fuzz/.
 */
const budget: FuzzBudget = {
  examples: Number(process.env.BOXOFFICE_FUZZ_EXAMPLES ?? 15),
  ...(process.env.BOXOFFICE_FUZZ_MAX_TIME
    ? { maxTimeSeconds: Number(process.env.BOXOFFICE_FUZZ_MAX_TIME) }
    : {}),
};
const timeoutMs = Math.max(600_000, (budget.maxTimeSeconds ?? 0) * 1_000 + 300_000);

/** Requests per answer, with the 405s to every undocumented method (unsupported_method) on one line. */
function report(run: FuzzRun): string {
  const total = [...run.answers.values()].reduce((sum, n) => sum + n, 0);
  const lines = [...run.answers]
    .filter(([key]) => !key.endsWith(' 405'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `  ${key}: ${n}`);
  const refusedMethods = [...run.answers]
    .filter(([key]) => key.endsWith(' 405'))
    .reduce((sum, [, n]) => sum + n, 0);
  lines.push(`  (other methods) 405: ${refusedMethods}`);
  return `${run.api}: ${total} requests (HAR report in ${run.reportDir})\n${lines.join('\n')}`;
}

describe('the APIs under schemathesis (real PostgreSQL, Redis, Kafka, allocator)', () => {
  const platform = new FuzzPlatform();

  beforeAll(async () => {
    await platform.start();
  });
  afterAll(async () => {
    await platform.stop();
  });

  // Found by probing what the fuzzer's alphabet includes: U+0000 in a name or a filter went to
  // PostgreSQL (which cannot store it, SQLSTATE 22021) and came back as 500, or cut a CSV export off
  // after its 200; in a payment callback it was accepted and then dead-lettered by the allocator.
  it('answers text PostgreSQL cannot store (U+0000) with a 400 naming the field, never a 5xx', async () => {
    const { namespace, name } = platform.event;
    const organizer = `/v1/organizers/${namespace}/events/${name}`;
    const cases: { url: string; token?: string; pointer: string; init?: RequestInit }[] = [
      { url: `${platform.queryUrl}/v1/events?namespace=a%00b`, pointer: '#/namespace' },
      { url: `${platform.queryUrl}/v1/events/a%00b/${name}`, pointer: '#/namespace' },
      { url: `${platform.queryUrl}/v1/events/${namespace}/a%00b/availability/stream`, pointer: '#/name' },
      {
        url: `${platform.queryUrl}${organizer}/orders?ticketType=a%00b`,
        token: platform.organizerToken,
        pointer: '#/ticketType',
      },
      {
        url: `${platform.queryUrl}${organizer}/orders?channel=a%00b`,
        token: platform.organizerToken,
        pointer: '#/channel',
      },
      {
        url: `${platform.queryUrl}${organizer}/orders.csv?ticketType=a%00b`,
        token: platform.organizerToken,
        pointer: '#/ticketType',
      },
      {
        url: `${platform.purchaseUrl}/v1/events/a%00b/${name}/orders`,
        token: platform.buyerToken,
        pointer: '#/namespace',
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': 'nul-namespace' },
          body: JSON.stringify({ ticketType: 'standard', quantity: 1 }),
        },
      },
      ...(['id', 'reason'] as const).map((field) => {
        const callback = {
          id: field === 'id' ? 'evt\u0000nul' : 'evt-nul-reason',
          type: 'payment.failed',
          data: {
            orderId: platform.paidOrderId,
            amountMinor: 5000,
            currency: 'EUR',
            ...(field === 'reason' ? { reason: 'declined\u0000' } : {}),
          },
        };
        const body = JSON.stringify(callback);
        return {
          url: `${platform.purchaseUrl}/v1/payments/webhook`,
          pointer: field === 'id' ? '#/id' : '#/data/reason',
          init: {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              [SIGNATURE_HEADER]: signWebhook(webhookSecret, body),
            },
            body,
          },
        };
      }),
    ];
    const answers = await Promise.all(
      cases.map(async ({ url, token, init }) => {
        let response: Response;
        let text: string;
        try {
          response = await fetch(url, {
            ...init,
            headers: {
              ...(init?.headers as Record<string, string>),
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
          });
          text = await response.text();
        } catch (error) {
          // A response cut off after its status line (as the CSV export was) shows as what it is.
          return { url, failed: String((error as Error).cause ?? error) };
        }
        return {
          status: response.status,
          type: response.headers.get('content-type'),
          pointers:
            response.status === 400
              ? (JSON.parse(text) as { errors: { pointer: string }[] }).errors.map((e) => e.pointer)
              : text,
        };
      }),
    );
    expect(answers).toEqual(
      cases.map(({ pointer }) => ({
        status: 400,
        type: expect.stringMatching(/^application\/problem\+json/),
        pointers: [pointer],
      })),
    );
  });

  it(
    'purchase-api: no 5xx, every answer as documented, orders followed past creation and callbacks past the signature',
    async () => {
      const run = await fuzzApi(platform, 'purchase-api', budget);
      console.log(report(run));
      // schemathesis's own account of every failure (with a curl to reproduce it) when it fails.
      expect({ exitCode: run.exitCode, output: run.exitCode === 0 ? '' : run.output }).toEqual({
        exitCode: 0,
        output: '',
      });
      expect(countAnswers(run, / 5\d\d$/)).toBe(0);
      // It reached the states behind the 404s and 401s, not only the refusals.
      expect(
        countAnswers(run, /^POST \/v1\/events\/\{namespace\}\/\{name\}\/orders 20[12]$/),
      ).toBeGreaterThan(0);
      expect(countAnswers(run, /^GET \/v1\/orders\/\{orderId\} 200$/)).toBeGreaterThan(0);
      expect(countAnswers(run, /^DELETE \/v1\/orders\/\{orderId\} 20[02]$/)).toBeGreaterThan(0);
      expect(countAnswers(run, /^POST \/v1\/payments\/webhook 202$/)).toBeGreaterThan(0);
      // ...and unsigned callbacks are still refused (the ignored_auth check sent them).
      expect(countAnswers(run, /^POST \/v1\/payments\/webhook 401$/)).toBeGreaterThan(0);
    },
    timeoutMs,
  );

  it(
    "query-api: no 5xx, every answer as documented, a buyer's orders and tickets and the organizer API reached",
    async () => {
      const run = await fuzzApi(platform, 'query-api', budget);
      console.log(report(run));
      expect({ exitCode: run.exitCode, output: run.exitCode === 0 ? '' : run.output }).toEqual({
        exitCode: 0,
        output: '',
      });
      expect(countAnswers(run, / 5\d\d$/)).toBe(0);
      expect(countAnswers(run, /^GET \/v1\/orders\/\{orderId\}\/tickets 200$/)).toBeGreaterThan(0);
      expect(
        countAnswers(run, /^GET \/v1\/organizers\/\{namespace\}\/events\/\{name\}\/sales 200$/),
      ).toBeGreaterThan(0);
      // The stream was read and hung up on, each time (a hanging one would have timed the run out).
      expect(
        countAnswers(run, /^GET \/v1\/events\/\{namespace\}\/\{name\}\/availability\/stream 200$/),
      ).toBeGreaterThan(0);
    },
    timeoutMs,
  );
});

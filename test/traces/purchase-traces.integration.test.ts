import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newOrderId } from '@boxoffice/inventory';
import { signLocalToken } from '@boxoffice/platform/auth/jwt';
import { SIGNATURE_HEADER, signWebhook } from '@boxoffice/platform/auth/webhook-signature';
import { sharedTopics } from '@boxoffice/platform/kafka';
import { createPool } from '@boxoffice/platform/postgres';
import { ensureTopic, eventTopic, findOrder, migrate, provisionEvent } from '@boxoffice/store';
import {
  createTestDatabase,
  dependencies,
  eventually,
  grantKafkaAcls,
  kafkaAs,
  kafkaEnv,
  uniqueName,
} from '@boxoffice/testkit';
import type pg from 'pg';
import { eventOnSale } from '../../services/store/test/fixtures.ts';
import { descendsFrom, JaegerQuery, type StoredSpan } from './jaeger-query.ts';
import { startTraced, stopAll, waitReady, type TracedProcess } from './traced-platform.ts';

const secret = 'a-test-secret-that-is-at-least-32-characters-long';
const webhookSecret = 'webhook-secret-for-trace-tests';

/** The trace a response names in its `traceresponse` header (version-traceid-spanid-flags). */
function tracedBy(response: Response): { traceId: string; spanId: string } {
  const header = response.headers.get('traceresponse');
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(header ?? '');
  if (!match) throw new Error(`no traceresponse header in the response (got ${header})`);
  return { traceId: match[1]!, spanId: match[2]! };
}

function only(spans: StoredSpan[], what: string, predicate: (span: StoredSpan) => boolean): StoredSpan {
  const found = spans.filter(predicate);
  if (found.length !== 1)
    throw new Error(
      `expected one ${what}, found ${found.length} among: ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`,
    );
  return found[0]!;
}

describe('traces in a real trace store (Jaeger; real Kafka, PostgreSQL, Redis)', () => {
  const deps = dependencies();
  const jaeger = new JaegerQuery(deps.jaegerQueryUrl ?? '');
  const run = uniqueName('trace');
  const services = {
    purchase: `purchase-api-${run}`,
    allocator: `allocator-${run}`,
    query: `query-api-${run}`,
    analytics: `analytics-${run}`,
  };
  // A short hold TTL, so the expiry case does not wait long; the payment case pays at once.
  const event = eventOnSale(run, {
    shards: 1,
    ticketTypes: [{ name: 'standard', priceMinor: 4000, currency: 'EUR', capacity: 100 }],
    sales: { ...eventOnSale('x').sales, holdTtlSeconds: 3 },
  });
  const topic = eventTopic(event);
  let pool: pg.Pool;
  let purchaseApi: TracedProcess;
  let allocator: TracedProcess;
  let queryApi: TracedProcess;
  let analytics: TracedProcess;
  const token = (buyerId: string) =>
    signLocalToken({ secret, issuer: 'boxoffice-local', audience: 'boxoffice', buyerId });
  const placeOrder = async (buyerId: string) =>
    fetch(`${purchaseApi.url}/v1/events/${event.namespace}/${event.name}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await token(buyerId)}`,
        'idempotency-key': newOrderId(),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ ticketType: 'standard', quantity: 1 }),
    });
  /** The trace once every span `complete` needs is in the store (spans arrive in several exports). */
  const storedTrace = (traceId: string, complete: (spans: StoredSpan[]) => void) =>
    eventually(
      async () => {
        const spans = await jaeger.trace(traceId);
        complete(spans);
        return spans;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
  /** The consumer's batch span linked to the producer span `producer`, and the rest of its trace. */
  const batchLinkedTo = async (producer: StoredSpan, consumer = services.allocator) => {
    const spans = await eventually(
      async () => {
        const found = (await jaeger.spansOf(consumer, 120_000)).filter((s) =>
          s.links.some((l) => l.traceId === producer.traceId && l.spanId === producer.spanId),
        );
        expect(found).toHaveLength(1);
        return found;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const batch = spans[0]!;
    const trace = await storedTrace(batch.traceId, (all) =>
      expect(all.some((s) => s.attributes['db.query.text'] === 'COMMIT')).toBe(true),
    );
    return { batch, trace };
  };

  beforeAll(async () => {
    if (!deps.jaegerQueryUrl || !deps.otlpEndpoint)
      throw new Error('no trace store: run through jest (global setup) or `npm run deps -- up`');
    const databaseUrl = await createTestDatabase(run);
    await migrate(databaseUrl);
    pool = createPool(databaseUrl, 2);
    // What the operator does before any service runs: shared topics, grants, the event's topic.
    await grantKafkaAcls(run);
    const admin = kafkaAs('admin', run).admin();
    await admin.connect();
    await ensureTopic(admin, sharedTopics(run).orderEvents, 1);
    await ensureTopic(admin, sharedTopics(run).deadLetter, 1);
    await admin.disconnect();
    const operator = kafkaAs('operator', `${run}-operator`).admin();
    await operator.connect();
    await provisionEvent({ pool, admin: operator }, event);
    await operator.disconnect();
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: deps.redisUrl,
      BOXOFFICE_PREFIX: run,
      JWT_SECRET: secret,
      WEBHOOK_SECRET: webhookSecret,
      EXPIRY_SWEEP_INTERVAL_MS: '200',
      REPLY_TIMEOUT_MS: '10000',
      OTEL_EXPORTER_OTLP_ENDPOINT: deps.otlpEndpoint,
      // The production default's shape (docs/observability.md), every request kept.
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '1',
    };
    // Each with its own Kafka principal, as in a cluster.
    purchaseApi = await startTraced('purchase-api', services.purchase, {
      ...env,
      ...kafkaEnv('purchase-api'),
    });
    queryApi = await startTraced('query-api', services.query, {
      ...env,
      KAFKA_BROKERS: deps.kafkaBrokers.join(','),
    });
    // Keeps no trace of its own: its batches are kept because the commands they link to were.
    allocator = await startTraced('allocator', services.allocator, {
      ...env,
      ...kafkaEnv('allocator'),
      EVENT_NAMESPACE: event.namespace,
      EVENT_NAME: event.name,
      OTEL_TRACES_SAMPLER_ARG: '0',
    });
    // The order events' consumer: its batches too are kept only for the purchases they link.
    analytics = await startTraced('analytics', services.analytics, {
      ...env,
      ...kafkaEnv('analytics'),
      OTEL_TRACES_SAMPLER_ARG: '0',
    });
    for (const process of [purchaseApi, queryApi, allocator, analytics])
      await waitReady(process).catch((error: Error) => {
        throw new Error(`${error.message}\n${(process as TracedProcess).stderr()}`);
      });
  });
  afterAll(async () => {
    await stopAll([purchaseApi, queryApi, allocator, analytics].filter(Boolean));
    await pool?.end();
  });

  /** The PostgreSQL statements below `under`, in the order they started. */
  const postgresStatements = (trace: StoredSpan[], under: StoredSpan) =>
    trace
      .filter((s) => s.attributes['db.query.text'] !== undefined)
      .filter((s) => s.attributes['db.system.name'] === 'postgresql' && descendsFrom(trace, s, under))
      .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
      .map((s) => String(s.attributes['db.query.text']));
  /** What every batch span says, and that it links each message it processed. */
  const expectBatchSpan = (batch: StoredSpan) => {
    expect(batch).toMatchObject({ name: `process ${topic}`, kind: 'CONSUMER', service: services.allocator });
    expect(batch.parentSpanId).toBeUndefined();
    expect(batch.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': '0',
      'messaging.operation.type': 'process',
      'messaging.batch.message_count': expect.any(Number),
    });
    expect(batch.links).toHaveLength(Number(batch.attributes['messaging.batch.message_count']));
  };
  /** The producer span of the command for `orderId` in `trace`, below `parent`. */
  const commandSpan = (trace: StoredSpan[], parent: StoredSpan, orderId: string) => {
    const producer = only(
      trace,
      `producer span of ${orderId}`,
      (s) => s.kind === 'PRODUCER' && s.attributes['messaging.kafka.message.key'] === orderId,
    );
    expect(producer).toMatchObject({ name: `send ${topic}`, service: services.purchase });
    expect(producer.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': '0',
      'messaging.operation.type': 'send',
    });
    expect(descendsFrom(trace, producer, parent)).toBe(true);
    return producer;
  };
  /** The batch (and its trace) that applied the command `producer` sent, and its committed transaction. */
  const committedBatch = async (producer: StoredSpan, orderId: string) => {
    const { batch, trace } = await batchLinkedTo(producer);
    expectBatchSpan(batch);
    const link = batch.links.find((l) => l.spanId === producer.spanId)!;
    expect(link.attributes).toMatchObject({ 'messaging.kafka.message.key': orderId });
    const statements = postgresStatements(trace, batch);
    expect(statements[0]).toBe('BEGIN');
    expect(statements.at(-1)).toBe('COMMIT');
    return { batch, trace, statements };
  };

  it('follows one purchase from its HTTP request through its Kafka command to the batch that committed it and the reply', async () => {
    const response = await placeOrder('tracy');
    expect(response.status).toBe(201);
    const order = (await response.json()) as { id: string };
    const request = tracedBy(response);

    const purchase = await storedTrace(request.traceId, (spans) =>
      expect(spans.some((s) => s.name === 'wait for allocator reply')).toBe(true),
    );
    const server = only(purchase, 'server span', (s) => s.spanId === request.spanId);
    expect(server).toMatchObject({
      service: services.purchase,
      kind: 'SERVER',
      name: 'POST /v1/events/:namespace/:name/orders',
    });
    expect(server.attributes).toMatchObject({
      'http.route': '/v1/events/:namespace/:name/orders',
      'http.response.status_code': 201,
    });
    const producer = commandSpan(purchase, server, order.id);

    const { batch, trace, statements } = await committedBatch(producer, order.id);
    expect(statements.some((q) => q.startsWith('INSERT INTO orders'))).toBe(true);
    // The reply: published to this purchase-api's channel after the commit, inside the batch span…
    const publish = only(trace, 'reply publish', (s) =>
      String(s.attributes['db.query.text']).startsWith(`publish ${run}:replies:`),
    );
    expect(publish.attributes['db.system.name']).toBe('redis');
    expect(descendsFrom(trace, publish, batch)).toBe(true);
    // …and received by the request, whose wait links to the batch that answered it.
    const wait = only(purchase, 'reply wait', (s) => s.name === 'wait for allocator reply');
    expect(descendsFrom(purchase, wait, server)).toBe(true);
    expect(wait.attributes).toMatchObject({ 'boxoffice.order.id': order.id, 'boxoffice.reply.kind': 'held' });
    expect(wait.links).toEqual([{ traceId: batch.traceId, spanId: batch.spanId, attributes: {} }]);

    // Downstream: the order event the batch produced, and the analytics batch that linked it.
    const orderEvent = only(
      trace,
      'order event',
      (s) => s.kind === 'PRODUCER' && s.attributes['messaging.kafka.message.key'] === order.id,
    );
    expect(orderEvent.name).toBe(`send ${sharedTopics(run).orderEvents}`);
    expect(descendsFrom(trace, orderEvent, batch)).toBe(true);
    const projection = await batchLinkedTo(orderEvent, services.analytics);
    expect(projection.batch).toMatchObject({
      name: `process ${sharedTopics(run).orderEvents}`,
      kind: 'CONSUMER',
      parentSpanId: undefined,
    });
    const projected = postgresStatements(projection.trace, projection.batch);
    expect(projected[0]).toBe('BEGIN');
    expect(projected.at(-1)).toBe('COMMIT');

    // A log line leads to each trace: the request's in purchase-api, the batch's in the allocator.
    await eventually(() =>
      expect(purchaseApi.logs).toContainEqual(
        expect.objectContaining({
          msg: 'request',
          route: '/v1/events/{namespace}/{name}/orders',
          status: 201,
          trace_id: request.traceId,
          span_id: request.spanId,
        }),
      ),
    );
    expect(allocator.logs).toContainEqual(
      expect.objectContaining({ msg: 'batch applied', trace_id: batch.traceId, span_id: batch.spanId }),
    );
  });

  it('keeps each of many concurrent purchases in its own trace, though their commands share Produce requests and batches', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => placeOrder(`crowd-${i}`)));
    const purchases = await Promise.all(
      responses.map(async (response, i) => {
        expect(response.status).toBe(201);
        const orderId = ((await response.json()) as { id: string }).id;
        return { buyer: `crowd-${i}`, orderId, request: tracedBy(response) };
      }),
    );
    const batches = new Map<string, Set<string>>(); // batch span → the purchase traces it links
    for (const { buyer, orderId, request } of purchases) {
      const trace = await storedTrace(request.traceId, (spans) =>
        expect(spans.some((s) => s.spanId === request.spanId)).toBe(true),
      );
      const server = only(trace, 'server span', (s) => s.spanId === request.spanId);
      // Only its own command: none of the other requests' messages it was sent with.
      const producer = only(trace, 'producer span', (s) => s.kind === 'PRODUCER');
      expect(producer).toBe(commandSpan(trace, server, orderId));
      // Only its own Redis commands too, though they went out pipelined with the others'.
      const idempotencyKey = only(trace, 'idempotency key', (s) => s.name === 'set');
      expect(idempotencyKey.attributes['db.query.text']).toContain(`:${buyer}:`);
      const { batch } = await batchLinkedTo(producer);
      const linked = batches.get(batch.spanId) ?? new Set(batch.links.map((l) => l.traceId));
      batches.set(batch.spanId, linked);
    }
    // The allocator took several of these purchases in one batch, and linked each of them.
    expect(Math.max(...[...batches.values()].map((traces) => traces.size))).toBeGreaterThan(1);
  });

  it('follows a payment from the signed webhook through its command to the batch that applied it', async () => {
    const hold = (await (await placeOrder('paula')).json()) as { id: string };
    const callback = JSON.stringify({
      id: uniqueName('evt'),
      type: 'payment.succeeded',
      data: { orderId: hold.id, amountMinor: 4000, currency: 'EUR' },
    });
    const response = await fetch(`${purchaseApi.url}/v1/payments/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signWebhook(webhookSecret, callback),
      },
      body: callback,
    });
    expect(response.status).toBe(202);
    const request = tracedBy(response);

    const webhook = await storedTrace(request.traceId, (spans) =>
      expect(spans.some((s) => s.kind === 'PRODUCER')).toBe(true),
    );
    const server = only(webhook, 'server span', (s) => s.spanId === request.spanId);
    expect(server).toMatchObject({ kind: 'SERVER', name: 'POST /v1/payments/webhook' });
    const producer = commandSpan(webhook, server, hold.id);
    const { statements } = await committedBatch(producer, hold.id);
    // The provider event recorded once, and the order's new status, in the batch's transaction.
    expect(statements.some((q) => q.startsWith('INSERT INTO provider_events'))).toBe(true);
    expect(
      statements.some((q) => q.startsWith('INSERT INTO orders') && q.includes('DO UPDATE SET status')),
    ).toBe(true);
    // Paid within the 3 s hold, or just after it (then owed a refund): either way the batch applied it.
    expect(['CONFIRMED', 'REFUND_REQUIRED']).toContain((await findOrder(pool, hold.id))?.status);
  });

  it('follows an expiry from the sweep that found the hold due through its command to the batch that expired it', async () => {
    const hold = (await (await placeOrder('eliot')).json()) as { id: string };
    await eventually(async () => expect((await findOrder(pool, hold.id))?.status).toBe('EXPIRED'), {
      timeoutMs: 20_000,
    });

    // The sweep round is a trace of its own (a timer, no request); it sent this hold's command.
    const sweep = await eventually(
      async () => {
        const spans = await jaeger.spansOf(services.purchase, 120_000);
        const rounds = new Set(spans.filter((s) => s.name === 'expire due holds').map((s) => s.traceId));
        const command = only(
          spans,
          'expiry command',
          (s) =>
            rounds.has(s.traceId) &&
            s.kind === 'PRODUCER' &&
            s.attributes['messaging.kafka.message.key'] === hold.id,
        );
        return spans.filter((s) => s.traceId === command.traceId);
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const round = only(sweep, 'sweep span', (s) => s.name === 'expire due holds');
    expect(round).toMatchObject({ service: services.purchase, parentSpanId: undefined });
    expect(round.attributes['boxoffice.holds.due']).toBeGreaterThanOrEqual(1);
    const producer = commandSpan(sweep, round, hold.id);
    const { statements } = await committedBatch(producer, hold.id);
    // The order's new status and the seats back in the shard, in the batch's transaction.
    expect(
      statements.some((q) => q.startsWith('INSERT INTO orders') && q.includes('DO UPDATE SET status')),
    ).toBe(true);
    expect(statements.some((q) => q.startsWith('UPDATE inventory_shards'))).toBe(true);
  });

  it('names the trace of a query-api request in its response and its log line', async () => {
    const hold = (await (await placeOrder('quinn')).json()) as { id: string };
    const response = await fetch(`${queryApi.url}/v1/orders/${hold.id}`, {
      headers: { authorization: `Bearer ${await token('quinn')}` },
    });
    expect(response.status).toBe(200);
    const request = tracedBy(response);
    const trace = await storedTrace(request.traceId, (spans) =>
      expect(spans.some((s) => s.attributes['db.system.name'] === 'postgresql')).toBe(true),
    );
    const server = only(trace, 'server span', (s) => s.spanId === request.spanId);
    expect(server).toMatchObject({ service: services.query, name: 'GET /v1/orders/:orderId' });
    expect(postgresStatements(trace, server).length).toBeGreaterThan(0);
    await eventually(() =>
      expect(queryApi.logs).toContainEqual(
        expect.objectContaining({ msg: 'request', status: 200, trace_id: request.traceId }),
      ),
    );
  });
});

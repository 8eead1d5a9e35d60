import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newOrderId } from '@boxoffice/inventory';
import { signLocalToken } from '@boxoffice/platform/auth/jwt';
import {
  allocatorGroupId,
  eventCounters,
  eventTopic,
  findOrder,
  invariantViolations,
} from '@boxoffice/store';
import { dependencies, eventually, kafkaAs, kafkaEnv, uniqueName } from '@boxoffice/testkit';
import type { Producer } from 'kafkajs';
import { startService, stopAll, waitReady, type PlatformProcess } from '../../loadtest/platform-processes.ts';
import { freePort } from '../../scripts/deps/processes.ts';
import { nodeRuntime } from '../../scripts/local/node-runtime.ts';
import { startWorkloadRunner, type WorkloadRunner } from '../../scripts/local/workload-runner.ts';
import { applyManifest, OperatorWorld, readEvent, ticketEvent } from './fixtures.ts';

const SHARDS = 4;
const JWT = {
  secret: 'keda-test-secret-that-is-at-least-32-characters',
  issuer: 'boxoffice-local',
  audience: 'boxoffice',
};

/**
 * The platform as `npm start` runs it, scaled by the real KEDA that `deps up` runs (operator and
 * metrics server; the HPA controller of kube-controller-manager reads the lag through the
 * aggregation layer): the operator, purchase-api as its own process (with its expiry sweeper), and
 * the workload runner starting one allocator process per allocator pod the control plane
 * schedules, in the platform namespace where tenant isolation puts allocators, ScaledObjects and
 * KEDA's TriggerAuthentication. KEDA polls every second and cools down after 10 s (operator config) so the test
 * sees the whole cycle; the HPA controller looks every 5 s (scripts/deps/kube.ts).
 */
describe('KEDA scaling an event allocator (real KEDA, HPA controller, kube-apiserver, Kafka, PostgreSQL)', () => {
  const world = new OperatorWorld();
  const logDir = mkdtempSync(join(tmpdir(), 'keda-test-'));
  const runnerLog: string[] = [];
  let runner: WorkloadRunner;
  let purchaseApi: PlatformProcess;
  let producer: Producer;
  let namespace: string;
  const name = 'flash';

  /** An event scaled by KEDA between zero and `maxReplicas`, on sale now. */
  const applyEvent = (
    event: string,
    options: { shards: number; capacity: number; holdTtl: string },
  ): void => {
    applyManifest(
      ticketEvent(namespace, event, {
        shards: options.shards,
        allocator: { minReplicas: 0, maxReplicas: options.shards, lagThreshold: 50 },
        ticketTypes: [{ name: 'standard', price: 1000, currency: 'EUR', capacity: options.capacity }],
        sales: {
          opensAt: new Date(Date.now() - 3_600_000).toISOString(),
          closesAt: new Date(Date.now() + 86_400_000).toISOString(),
          perBuyerLimit: 4,
          holdTtl: options.holdTtl,
        },
      }),
    );
  };
  const replicas = async (event = name): Promise<number> =>
    (await world.allocator(event)).spec?.replicas ?? -1;
  /** The allocator pods the workload runner runs for `event` (labelled with their event). */
  const allocatorProcesses = (event = name): string[] =>
    runner
      .pods()
      .filter(
        (pod) =>
          pod.namespace === world.platformNamespace &&
          pod.labels['app.kubernetes.io/component'] === 'allocator' &&
          pod.labels['boxoffice.dev/event-namespace'] === namespace &&
          pod.labels['boxoffice.dev/event-name'] === event,
      )
      .map((pod) => pod.name);
  const condition = async (type: string) =>
    (await readEvent(namespace, name)).status?.conditions?.find((c) => c.type === type);

  /** A buyer as the API documents it: POST, and while 202, the same request again, until a final answer. */
  const buy = async (
    buyerId: string,
    quantity = 1,
    event = name,
  ): Promise<{ status: number; body: { id: string; status: string } }> => {
    const token = await signLocalToken({ ...JWT, buyerId, expiresIn: '1h' });
    const idempotencyKey = uniqueName('key');
    for (;;) {
      const response = await fetch(`${purchaseApi.url}/v1/events/${namespace}/${event}/orders`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'idempotency-key': idempotencyKey,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ ticketType: 'standard', quantity }),
      });
      const body = (await response.json()) as { id: string; status: string };
      if (response.status !== 202) return { status: response.status, body };
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  beforeAll(async () => {
    await world.start('keda', {
      env: {
        KEDA_POLLING_INTERVAL_SECONDS: '1',
        KEDA_COOLDOWN_PERIOD_SECONDS: '10',
        OTEL_TRACES_EXPORTER: 'none',
      },
    });
    namespace = world.namespace;
    runner = await startWorkloadRunner({
      kubeconfig: dependencies().kubeconfig,
      runtime: nodeRuntime(),
      logDir,
      workDir: join(logDir, 'pods'),
      namespaces: [world.platformNamespace],
      log: (line, level) => {
        if (level !== 'debug') runnerLog.push(`${new Date().toISOString()} ${line}`);
      },
    });
    const port = await freePort();
    purchaseApi = startService(
      'purchase-api',
      'purchase-api',
      port,
      {
        DATABASE_URL: world.databaseUrl,
        REDIS_URL: dependencies().redisUrl,
        ...kafkaEnv('purchase-api'),
        PURCHASE_API_PORT: String(port),
        JWT_SECRET: JWT.secret,
        WEBHOOK_SECRET: 'keda-test-webhook-secret',
        EXPIRY_SWEEP_INTERVAL_MS: '200',
      },
      logDir,
    );
    await waitReady(purchaseApi);
    producer = kafkaAs('purchase-api', uniqueName('flash-sale')).producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await world.stop();
    await runner?.stop();
    if (purchaseApi) await stopAll([purchaseApi]);
    console.log(`keda test: logs in ${logDir}\n${runnerLog.join('\n')}`);
  });

  it("scales an idle event's allocator to zero, with KEDA's Ready condition as ScalerReady", async () => {
    applyEvent(name, { shards: SHARDS, capacity: 50_000, holdTtl: '10m' });
    await eventually(async () => expect(await replicas()).toBe(0), { timeoutMs: 60_000 });
    await eventually(
      async () => {
        expect(await condition('ScalerReady')).toMatchObject({ status: 'True', reason: 'ScaledObjectReady' });
        expect(await condition('AllocatorReady')).toMatchObject({ status: 'True', reason: 'ScaledToZero' });
        expect(await condition('Ready')).toMatchObject({ status: 'True' });
      },
      { timeoutMs: 30_000 },
    );
    await eventually(() => expect(allocatorProcesses()).toEqual([]), { timeoutMs: 30_000 });
    // Idle means nobody in the group either. The replica the Deployment started with before KEDA
    // scaled it to zero was stopped while joining, and the broker keeps such a member for the
    // allocator's session timeout: a purchase before then waits for it (reported, not hidden).
    const scaledToZero = Date.now();
    const group = allocatorGroupId({ namespace, name });
    await eventually(
      async () => expect((await world.admin.describeGroups([group])).groups[0]?.members).toEqual([]),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    console.log(
      `keda test: allocator group empty ${((Date.now() - scaledToZero) / 1000).toFixed(1)} s after scale to zero`,
    );
  });

  it('wakes the allocator on the first purchase, and the buyer gets a final answer', async () => {
    expect(await replicas()).toBe(0);
    const started = Date.now();
    const answer = await buy('first-buyer', 2);
    const seconds = (Date.now() - started) / 1000;
    console.log(`keda test: first purchase of an event scaled to zero answered in ${seconds.toFixed(1)} s`);
    expect(answer).toMatchObject({ status: 201, body: { status: 'HELD' } });
    expect(await replicas()).toBeGreaterThanOrEqual(1);
    expect(allocatorProcesses().length).toBeGreaterThanOrEqual(1);
  });

  it('scales out to spec.shards replicas under a burst one allocator cannot drain, and back to zero after it', async () => {
    // A flash sale hits an idle event: the burst arrives at zero replicas, as purchase-api replicas
    // send it (one command per buyer, on every shard, at once).
    await eventually(async () => expect(await replicas()).toBe(0), { timeoutMs: 60_000, intervalMs: 500 });
    const burst = 30_000;
    const started = Date.now();
    const topic = eventTopic({ namespace, name });
    for (let offset = 0; offset < burst; offset += 1_000)
      await producer.send({
        topic,
        messages: Array.from({ length: Math.min(1_000, burst - offset) }, (_, i) => {
          const orderId = newOrderId();
          return {
            partition: (offset + i) % SHARDS,
            key: orderId,
            value: JSON.stringify({
              v: 1,
              kind: 'purchase.requested',
              orderId,
              buyerId: `burst-${offset + i}`,
              ticketType: 'standard',
              quantity: 1,
              idempotencyKey: orderId,
              requestedAt: new Date().toISOString(),
            }),
          };
        }),
      });
    let peak = 0;
    await eventually(
      async () => {
        peak = Math.max(peak, await replicas());
        expect(peak).toBe(SHARDS);
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    console.log(
      `keda test: ${SHARDS} replicas ${((Date.now() - started) / 1000).toFixed(1)} s after the burst`,
    );
    await eventually(() => expect(allocatorProcesses()).toHaveLength(SHARDS), { timeoutMs: 60_000 });

    await eventually(
      async () => expect((await eventCounters(world.pool, { namespace, name }))[0]?.held).toBe(burst + 2),
      { timeoutMs: 180_000, intervalMs: 1_000 },
    );
    const drained = Date.now();
    console.log(
      `keda test: burst of ${burst} held ${((drained - started) / 1000).toFixed(1)} s after it was sent`,
    );
    await eventually(async () => expect(await replicas()).toBe(0), { timeoutMs: 90_000, intervalMs: 500 });
    console.log(
      `keda test: back to zero ${((Date.now() - drained) / 1000).toFixed(1)} s after the burst was held`,
    );
    await eventually(() => expect(allocatorProcesses()).toEqual([]), { timeoutMs: 60_000 });
    expect(await invariantViolations(world.pool)).toEqual([]);
  }, 420_000);

  it('expires a hold while the allocator is scaled to zero: the sweeper’s command is lag, and the lag wakes it', async () => {
    const sleepy = 'sleepy';
    applyEvent(sleepy, { shards: 1, capacity: 10, holdTtl: '40s' });
    await eventually(async () => expect(await replicas(sleepy)).toBe(0), { timeoutMs: 60_000 });
    const hold = await buy('sleepy-buyer', 1, sleepy);
    expect(hold).toMatchObject({ status: 201, body: { status: 'HELD' } });
    const order = await findOrder(world.pool, hold.body.id);
    const expiresAt = Date.parse(order!.expiresAt);
    // Idle again before the hold is due: nothing runs for the event when it expires.
    await eventually(async () => expect(await replicas(sleepy)).toBe(0), {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    await eventually(() => expect(allocatorProcesses(sleepy)).toEqual([]), { timeoutMs: 30_000 });
    expect(Date.now()).toBeLessThan(expiresAt);
    expect((await findOrder(world.pool, hold.body.id))?.status).toBe('HELD');

    await eventually(
      async () => expect((await findOrder(world.pool, hold.body.id))?.status).toBe('EXPIRED'),
      {
        timeoutMs: 90_000,
        intervalMs: 500,
      },
    );
    console.log(
      `keda test: hold expired ${((Date.now() - expiresAt) / 1000).toFixed(1)} s after its TTL, from zero`,
    );
    expect(await eventCounters(world.pool, { namespace, name: sleepy })).toEqual([
      { ticketType: 'standard', capacity: 10, held: 0, sold: 0, remaining: 10 },
    ]);
    expect(await invariantViolations(world.pool)).toEqual([]);
  }, 240_000);
});

describe("ScalerReady when KEDA's trigger cannot read the lag (real KEDA, Kafka)", () => {
  const world = new OperatorWorld();
  const authentication = uniqueName('wrong-kafka-password');

  beforeAll(async () => {
    await world.start('keda-bad', {
      env: { KEDA_KAFKA_TRIGGER_AUTHENTICATION: authentication, KEDA_POLLING_INTERVAL_SECONDS: '1' },
    });
    // A TriggerAuthentication beside the ScaledObjects with the right user and a wrong password, as
    // a typo would make it.
    const namespace = world.platformNamespace;
    applyManifest({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: authentication, namespace },
      stringData: { username: 'boxoffice-keda', password: 'not-the-password' },
    });
    applyManifest({
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'TriggerAuthentication',
      metadata: { name: authentication, namespace },
      spec: {
        secretTargetRef: ['username', 'password'].map((key) => ({
          parameter: key,
          name: authentication,
          key,
        })),
      },
    });
  });
  afterAll(async () => {
    await world.stop();
  });

  it("reports KEDA's failing trigger as ScalerReady=False, and the event is not Ready", async () => {
    const { namespace } = world;
    applyManifest(
      ticketEvent(namespace, 'typo', { allocator: { minReplicas: 0, maxReplicas: 3, lagThreshold: 50 } }),
    );
    await eventually(
      async () => {
        const conditions = (await readEvent(namespace, 'typo')).status?.conditions ?? [];
        expect(conditions.find((c) => c.type === 'ScalerReady')).toMatchObject({
          status: 'False',
          reason: 'ScaledObjectNotReady',
          message: expect.stringContaining('TriggerError'),
        });
        expect(conditions.find((c) => c.type === 'Ready')).toMatchObject({
          status: 'False',
          message: expect.stringContaining('ScalerReady'),
        });
      },
      { timeoutMs: 60_000 },
    );
  });
});

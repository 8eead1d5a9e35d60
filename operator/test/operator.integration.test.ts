import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKafka } from '@boxoffice/platform/kafka';
import { createLogger } from '@boxoffice/platform/logger';
import { createPool } from '@boxoffice/platform/postgres';
import { applyShardBatch, eventCounters, eventTopic, migrate, shardAvailability } from '@boxoffice/store';
import { newOrderId } from '@boxoffice/inventory';
import {
  createNamespace,
  createTestDatabase,
  dependencies,
  eventually,
  kubeConfig,
  kubeConfigAs,
  kubectl,
  uniqueName,
} from '@boxoffice/testkit';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { operatorConfig } from '../src/config.ts';
import { startController, type Controller } from '../src/controller.ts';
import { GROUP, PLURAL, VERSION, type TicketEvent } from '../src/ticket-event.ts';

function ticketEvent(
  namespace: string,
  name: string,
  spec: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Date.now();
  return {
    apiVersion: 'boxoffice.dev/v1alpha1',
    kind: 'TicketEvent',
    metadata: { name, namespace },
    spec: {
      displayName: 'Operator Test',
      venue: 'Hall',
      startsAt: new Date(now + 30 * 86_400_000).toISOString(),
      sales: {
        opensAt: new Date(now - 3_600_000).toISOString(),
        closesAt: new Date(now + 86_400_000).toISOString(),
        perBuyerLimit: 4,
        holdTtl: '10m',
      },
      ticketTypes: [{ name: 'standard', price: 1000, currency: 'EUR', capacity: 100 }],
      shards: 3,
      allocator: { minReplicas: 1, maxReplicas: 3, lagThreshold: 50 },
      ...spec,
    },
  };
}

async function applyManifest(manifest: Record<string, unknown>): Promise<string> {
  const { spawnSync } = await import('node:child_process');
  const { kubectl: bin, kubeconfig } = dependencies();
  const result = spawnSync(bin, [`--kubeconfig=${kubeconfig}`, 'apply', '-f', '-'], {
    input: JSON.stringify(manifest),
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout;
}

describe('the TicketEvent operator (real kube-apiserver, Kafka, PostgreSQL)', () => {
  const config = kubeConfig();
  const custom = config.makeApiClient(CustomObjectsApi);
  const apps = config.makeApiClient(AppsV1Api);
  let namespace: string;
  let pool: pg.Pool;
  let admin: Admin;
  let controller: Controller;
  let operatorIdentity: KubeConfig;

  beforeAll(async () => {
    namespace = await createNamespace(uniqueName('op'));
    const databaseUrl = await createTestDatabase(uniqueName('op'));
    await migrate(databaseUrl);
    pool = createPool(databaseUrl);
    const logger = createLogger('operator-test', 'warn');
    admin = createKafka({ clientId: 'operator-test', brokers: dependencies().kafkaBrokers, logger }).admin();
    await admin.connect();
    await kubectl('apply', '--server-side', '--field-manager=boxoffice-test', '-f', 'operator/crd/');
    await kubectl('wait', '--for=condition=Established', 'crd/ticketevents.boxoffice.dev');
    // The operator runs as its own user, bound to exactly the ClusterRole it ships with.
    const user = uniqueName('boxoffice-operator');
    await kubectl(
      'apply',
      '--server-side',
      '--field-manager=boxoffice-test',
      '-f',
      'operator/rbac/clusterrole.yaml',
    );
    await kubectl('create', 'clusterrolebinding', user, '--clusterrole=boxoffice-operator', `--user=${user}`);
    operatorIdentity = kubeConfigAs(user);
    const settings = dependencies();
    controller = await startController({
      kubeConfig: operatorIdentity,
      provision: { pool, admin },
      config: operatorConfig.parse({
        DATABASE_URL: databaseUrl,
        REDIS_URL: settings.redisUrl,
        KAFKA_BROKERS: settings.kafkaBrokers.join(','),
        RESYNC_SECONDS: '2',
      }),
      logger,
    });
  });
  afterAll(async () => {
    // With the operator running, deleting a namespace full of TicketEvents completes: each
    // finalizer stops its sale and lets go.
    await kubectl('delete', 'namespace', namespace, '--timeout=90s');
    await controller.stop();
    await admin.disconnect();
    await pool.end();
  });

  it('turns an applied TicketEvent into a topic, shard rows, an allocator Deployment and a ScaledObject, and reports Ready', async () => {
    await applyManifest(ticketEvent(namespace, 'gala'));
    await kubectl('wait', '--for=condition=Ready', '--timeout=90s', '-n', namespace, 'tev/gala');

    const metadata = await admin.fetchTopicMetadata({ topics: [eventTopic({ namespace, name: 'gala' })] });
    expect(metadata.topics[0]!.partitions).toHaveLength(3);
    expect((await shardAvailability(pool, { namespace, name: 'gala' })).get('standard')).toEqual([
      34, 33, 33,
    ]);

    const event = (await custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      name: 'gala',
    })) as TicketEvent;
    const deployment = await apps.readNamespacedDeployment({ name: 'gala-allocator', namespace });
    expect(deployment.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'TicketEvent',
        name: 'gala',
        uid: event.metadata.uid,
        controller: true,
      }),
    ]);
    expect(deployment.spec?.template.spec?.containers[0]?.env).toEqual(
      expect.arrayContaining([{ name: 'EVENT_NAME', value: 'gala' }]),
    );
    const scaledObject = (await custom.getNamespacedCustomObject({
      group: 'keda.sh',
      version: 'v1alpha1',
      namespace,
      plural: 'scaledobjects',
      name: 'gala-allocator',
    })) as {
      metadata: { ownerReferences: { uid: string }[] };
      spec: {
        minReplicaCount: number;
        maxReplicaCount: number;
        triggers: { type: string; metadata: Record<string, string> }[];
      };
    };
    expect(scaledObject.metadata.ownerReferences[0]!.uid).toBe(event.metadata.uid);
    expect(scaledObject.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 3 });
    expect(scaledObject.spec.triggers[0]).toMatchObject({
      type: 'apache-kafka',
      metadata: { topic: eventTopic({ namespace, name: 'gala' }), lagThreshold: '50' },
    });

    expect(event.status).toMatchObject({
      phase: 'OnSale',
      observedGeneration: event.metadata.generation,
      capacity: 100,
      sold: 0,
      remaining: 100,
      ready: 'True',
    });
    const table = await kubectl('get', 'tev', '-n', namespace);
    expect(table.split('\n')[0]).toMatch(/NAME\s+PHASE\s+CAPACITY\s+SOLD\s+REMAINING\s+SHARDS\s+READY\s+AGE/);
    expect(table).toMatch(/gala\s+OnSale\s+100\s+0\s+100\s+3\s+True/);
    expect(await kubectl('explain', 'ticketevent.spec.shards')).toMatch(/never decreasing/);
  });

  it('runs with no more rights than its ClusterRole grants', async () => {
    const secrets = operatorIdentity.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace });
    await expect(secrets).rejects.toBeInstanceOf(ApiException);
    await expect(secrets).rejects.toMatchObject({ code: 403 });
  });

  it('shows sold and held counts in status after purchases', async () => {
    await applyManifest(ticketEvent(namespace, 'counted'));
    await kubectl('wait', '--for=condition=Ready', '--timeout=90s', '-n', namespace, 'tev/counted');
    const key = { namespace, name: 'counted' };
    const purchase = (buyerId: string, quantity: number) => ({
      v: 1 as const,
      kind: 'purchase.requested' as const,
      orderId: newOrderId(),
      buyerId,
      ticketType: 'standard',
      quantity,
      idempotencyKey: newOrderId(),
      requestedAt: new Date().toISOString(),
    });
    const paid = purchase('ann', 2);
    await applyShardBatch(pool, key, 0, [paid, purchase('ben', 3)], new Date());
    await applyShardBatch(
      pool,
      key,
      0,
      [
        {
          v: 1,
          kind: 'payment.confirmed',
          orderId: paid.orderId,
          providerEventId: uniqueName('evt'),
          amountMinor: 2000,
          currency: 'EUR',
        },
      ],
      new Date(),
    );
    await eventually(
      async () => {
        const event = (await custom.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: PLURAL,
          name: 'counted',
        })) as TicketEvent;
        expect(event.status).toMatchObject({
          capacity: 100,
          held: 3,
          sold: 2,
          remaining: 95,
          ticketTypes: [{ name: 'standard', capacity: 100, held: 3, sold: 2, remaining: 95 }],
        });
      },
      { timeoutMs: 30_000 },
    );
  });

  it('writes nothing on a resync that finds nothing changed', async () => {
    await applyManifest(ticketEvent(namespace, 'quiet'));
    await kubectl('wait', '--for=condition=Ready', '--timeout=90s', '-n', namespace, 'tev/quiet');
    const versions = async (): Promise<string[]> => [
      (
        (await custom.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: PLURAL,
          name: 'quiet',
        })) as TicketEvent
      ).metadata.resourceVersion!,
      (await apps.readNamespacedDeployment({ name: 'quiet-allocator', namespace })).metadata!
        .resourceVersion!,
    ];
    await eventually(
      async () =>
        expect(
          (await apps.readNamespacedDeployment({ name: 'quiet-allocator', namespace })).status
            ?.availableReplicas,
        ).toBe(1),
      { timeoutMs: 60_000 },
    );
    await new Promise((r) => setTimeout(r, 3_000));
    const before = await versions();
    controller.queue.add(`${namespace}/quiet`);
    await new Promise((r) => setTimeout(r, 3_000)); // at least one resync (RESYNC_SECONDS=2) and the explicit one
    expect(await versions()).toEqual(before);
  });

  it('converges on edits and refuses a capacity below what is allocated with a condition and an Event', async () => {
    await applyManifest(ticketEvent(namespace, 'grow'));
    await kubectl('wait', '--for=condition=Ready', '--timeout=90s', '-n', namespace, 'tev/grow');
    await applyManifest(
      ticketEvent(namespace, 'grow', {
        shards: 4,
        ticketTypes: [{ name: 'standard', price: 1000, currency: 'EUR', capacity: 200 }],
      }),
    );
    await eventually(
      async () =>
        expect(await eventCounters(pool, { namespace, name: 'grow' })).toEqual([
          { ticketType: 'standard', capacity: 200, held: 0, sold: 0, remaining: 200 },
        ]),
      { timeoutMs: 60_000 },
    );
    expect(
      (await admin.fetchTopicMetadata({ topics: [eventTopic({ namespace, name: 'grow' })] })).topics[0]!
        .partitions,
    ).toHaveLength(4);

    await pool.query(
      "UPDATE inventory_shards SET held = 10 WHERE shard = 0 AND event_id = (SELECT id FROM events WHERE namespace = $1 AND name = 'grow')",
      [namespace],
    );
    await applyManifest(
      ticketEvent(namespace, 'grow', {
        shards: 4,
        ticketTypes: [{ name: 'standard', price: 1000, currency: 'EUR', capacity: 5 }],
      }),
    );
    await eventually(
      async () => {
        const event = (await custom.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: PLURAL,
          name: 'grow',
        })) as TicketEvent;
        expect(event.status?.conditions?.find((c) => c.type === 'InventoryReady')).toMatchObject({
          status: 'False',
          reason: 'CapacityBelowAllocated',
        });
      },
      { timeoutMs: 60_000 },
    );
    expect(
      await kubectl('get', 'events', '-n', namespace, '--field-selector', 'involvedObject.name=grow'),
    ).toMatch(/CapacityBelowAllocated/);
    expect((await eventCounters(pool, { namespace, name: 'grow' }))[0]!.capacity).toBe(200);
  });

  it('refuses invalid TicketEvents at admission with a message naming the field', async () => {
    const sales = { opensAt: '2027-01-01T00:00:00Z', closesAt: '2027-02-01T00:00:00Z' };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ shards: 0 }, /spec\.shards/],
      [{ shards: 300 }, /spec\.shards/],
      [
        { allocator: { minReplicas: 0, maxReplicas: 5, lagThreshold: 10 } },
        /spec\.allocator\.maxReplicas must not exceed spec\.shards/,
      ],
      [
        { allocator: { minReplicas: 3, maxReplicas: 2, lagThreshold: 10 } },
        /spec\.allocator\.minReplicas must not exceed/,
      ],
      [
        { ticketTypes: [{ name: 'standard', price: -1, currency: 'EUR', capacity: 1 }] },
        /spec\.ticketTypes\[0\]\.price/,
      ],
      [
        { ticketTypes: [{ name: 'standard', price: 1, currency: 'EUR', capacity: -5 }] },
        /spec\.ticketTypes\[0\]\.capacity/,
      ],
      [
        { ticketTypes: [{ name: 'standard', price: 1, currency: 'eur', capacity: 5 }] },
        /spec\.ticketTypes\[0\]\.currency/,
      ],
      [
        { ticketTypes: [{ name: 'Bad Name', price: 1, currency: 'EUR', capacity: 5 }] },
        /spec\.ticketTypes\[0\]\.name/,
      ],
      [
        {
          ticketTypes: [
            { name: 'a', price: 1, currency: 'EUR', capacity: 5 },
            { name: 'a', price: 2, currency: 'EUR', capacity: 5 },
          ],
        },
        /spec\.ticketTypes\[1\]/,
      ],
      [
        { sales: { opensAt: '2027-02-01T00:00:00Z', closesAt: '2027-01-01T00:00:00Z' } },
        /spec\.sales\.closesAt must be after/,
      ],
      [{ sales: { ...sales, holdTtl: 'ten minutes' } }, /spec\.sales\.holdTtl/],
      [{ ticketTypes: [] }, /spec\.ticketTypes/],
    ];
    for (const [spec, message] of cases) {
      await expect(applyManifest(ticketEvent(namespace, uniqueName('bad'), spec))).rejects.toThrow(message);
    }
    await applyManifest(ticketEvent(namespace, 'shrink', { shards: 3 }));
    await expect(
      applyManifest(
        ticketEvent(namespace, 'shrink', {
          shards: 2,
          allocator: { minReplicas: 1, maxReplicas: 2, lagThreshold: 5 },
        }),
      ),
    ).rejects.toThrow(/spec\.shards may not decrease/);
  });

  it('stops sales on delete, keeps the orders, and removes its finalizer and children', async () => {
    await applyManifest(ticketEvent(namespace, 'farewell'));
    await kubectl('wait', '--for=condition=Ready', '--timeout=90s', '-n', namespace, 'tev/farewell');
    await kubectl('delete', 'tev', 'farewell', '-n', namespace, '--timeout=60s');
    const { rows } = await pool.query<{ closed_at: Date | null }>(
      'SELECT closed_at FROM events WHERE namespace = $1 AND name = $2',
      [namespace, 'farewell'],
    );
    expect(rows[0]!.closed_at).not.toBeNull();
    await eventually(
      async () =>
        expect(
          (await apps.listNamespacedDeployment({ namespace, labelSelector: 'boxoffice.dev/event=farewell' }))
            .items,
        ).toEqual([]),
      { timeoutMs: 60_000 },
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newOrderId } from '@boxoffice/inventory';
import { applyShardBatch, eventTopic, shardAvailability } from '@boxoffice/store';
import { eventually, kubeConfig, kubectl, uniqueName } from '@boxoffice/testkit';
import { ApiException, AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { allocatorName } from '../src/desired/index.ts';
import { ALLOCATOR_SECRET, applyManifest, OperatorWorld, readEvent, ticketEvent } from './fixtures.ts';

describe('the TicketEvent operator (real kube-apiserver, Kafka, PostgreSQL)', () => {
  const world = new OperatorWorld();
  const custom = kubeConfig().makeApiClient(CustomObjectsApi);
  beforeAll(() => world.start('op'));
  afterAll(() => world.stop());

  it("turns an applied TicketEvent into a topic, shard rows, an allocator Deployment and a ScaledObject in the platform's namespace, and reports Ready", async () => {
    const { namespace, platformNamespace, admin, pool } = world;
    applyManifest(ticketEvent(namespace, 'gala'));
    await kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', namespace, 'tev/gala');

    const metadata = await admin.fetchTopicMetadata({ topics: [eventTopic({ namespace, name: 'gala' })] });
    expect(metadata.topics[0]!.partitions).toHaveLength(3);
    const shards = (await shardAvailability(pool, { namespace, name: 'gala' })).get('standard')!;
    expect(shards).toEqual([34, 33, 33]);
    expect(shards.reduce((a, b) => a + b)).toBe(100);

    const event = await readEvent(namespace, 'gala');
    expect(event.metadata.finalizers).toContain('boxoffice.dev/inventory');
    const name = allocatorName({ namespace, name: 'gala' });
    const deployment = await world.allocator('gala');
    expect(deployment.metadata).toMatchObject({ name, namespace: platformNamespace });
    expect(deployment.metadata?.labels).toMatchObject({
      'app.kubernetes.io/part-of': 'boxoffice',
      'app.kubernetes.io/component': 'allocator',
      'boxoffice.dev/event-namespace': namespace,
      'boxoffice.dev/event-name': 'gala',
    });
    expect(deployment.metadata?.ownerReferences).toBeUndefined();
    expect(deployment.spec?.template.spec?.containers[0]?.env).toEqual(
      expect.arrayContaining([
        { name: 'EVENT_NAMESPACE', value: namespace },
        { name: 'EVENT_NAME', value: 'gala' },
        {
          name: 'DATABASE_URL',
          valueFrom: { secretKeyRef: { name: ALLOCATOR_SECRET, key: 'DATABASE_URL' } },
        },
        { name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: ALLOCATOR_SECRET, key: 'REDIS_URL' } } },
      ]),
    );
    expect(JSON.stringify(deployment.spec)).not.toContain(world.databaseUrl);
    // replicas belong to KEDA: the operator's field manager does not own them.
    const owned = deployment.metadata?.managedFields?.find((f) => f.manager === 'boxoffice-operator');
    expect(owned?.operation).toBe('Apply');
    expect(JSON.stringify(owned?.fieldsV1)).not.toContain('f:replicas');

    const scaledObject = (await custom.getNamespacedCustomObject({
      group: 'keda.sh',
      version: 'v1alpha1',
      namespace: platformNamespace,
      plural: 'scaledobjects',
      name,
    })) as {
      metadata: { labels: Record<string, string> };
      spec: {
        scaleTargetRef: { name: string };
        triggers: { type: string; metadata: Record<string, string> }[];
      };
    };
    expect(scaledObject.metadata.labels).toMatchObject({
      'boxoffice.dev/event-namespace': namespace,
      'boxoffice.dev/event-name': 'gala',
    });
    expect(scaledObject.spec).toMatchObject({
      scaleTargetRef: { name },
      minReplicaCount: 1,
      maxReplicaCount: 3,
    });
    expect(scaledObject.spec.triggers).toEqual([
      {
        type: 'apache-kafka',
        metadata: {
          bootstrapServers: world.env().KAFKA_BROKERS,
          consumerGroup: `boxoffice-allocator.${namespace}.gala`,
          topic: eventTopic({ namespace, name: 'gala' }),
          lagThreshold: '50',
          activationLagThreshold: '0',
          offsetResetPolicy: 'earliest',
          ...(world.env().KAFKA_SASL_MECHANISM ? { sasl: 'scram_sha512' } : {}),
        },
        ...(world.env().KEDA_KAFKA_TRIGGER_AUTHENTICATION
          ? {
              authenticationRef: {
                name: world.env().KEDA_KAFKA_TRIGGER_AUTHENTICATION,
                kind: 'TriggerAuthentication',
              },
            }
          : {}),
      },
    ]);

    expect(event.status).toMatchObject({
      phase: 'OnSale',
      observedGeneration: event.metadata.generation,
      capacity: 100,
      sold: 0,
      remaining: 100,
      ready: 'True',
    });
    const table = await kubectl('get', 'tev', '-n', namespace);
    expect(table.split('\n')[0]).toMatch(
      /^NAME\s+PHASE\s+CAPACITY\s+SOLD\s+REMAINING\s+SHARDS\s+READY\s+AGE$/,
    );
    expect(table).toMatch(/gala\s+OnSale\s+100\s+0\s+100\s+3\s+True\s+\d+s/);
    expect(await kubectl('get', 'boxoffice', '-n', namespace, '-o', 'name')).toMatch(
      /ticketevent\.boxoffice\.dev\/gala/,
    );
    expect(await kubectl('describe', 'tev', '-n', namespace, 'gala')).toMatch(/PhaseOnSale/);
  });

  it('documents every field for kubectl explain', async () => {
    const shards = await kubectl('explain', 'ticketevent.spec.shards');
    expect(shards).toMatch(/FIELD:\s+shards <integer>/);
    expect(shards).toMatch(/never decreasing/);
    expect(await kubectl('explain', 'tev.spec.allocator.lagThreshold')).toMatch(/lag/i);
    expect(await kubectl('explain', 'tev.status.conditions.reason')).toMatch(/reason/i);
  });

  it('runs with no more rights than its RBAC grants: no Secret anywhere, no Deployment outside the platform namespace', async () => {
    const { kubeConfig: operator } = world.identity;
    for (const namespace of [world.namespace, world.platformNamespace]) {
      const secrets = operator.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace });
      await expect(secrets).rejects.toBeInstanceOf(ApiException);
      await expect(secrets).rejects.toMatchObject({ code: 403 });
      const pods = operator.makeApiClient(CoreV1Api).listNamespacedPod({ namespace });
      await expect(pods).rejects.toMatchObject({ code: 403 });
    }
    const secret = operator
      .makeApiClient(CoreV1Api)
      .readNamespacedSecret({ name: ALLOCATOR_SECRET, namespace: world.platformNamespace });
    await expect(secret).rejects.toMatchObject({ code: 403 });
    const elsewhere = operator
      .makeApiClient(AppsV1Api)
      .listNamespacedDeployment({ namespace: world.namespace });
    await expect(elsewhere).rejects.toMatchObject({ code: 403 });
  });

  it('shows sold and held counts in status after purchases', async () => {
    const { namespace, pool } = world;
    applyManifest(ticketEvent(namespace, 'counted'));
    await kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', namespace, 'tev/counted');
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
      async () =>
        expect((await readEvent(namespace, 'counted')).status).toMatchObject({
          capacity: 100,
          held: 3,
          sold: 2,
          remaining: 95,
          ticketTypes: [{ name: 'standard', capacity: 100, held: 3, sold: 2, remaining: 95 }],
        }),
      { timeoutMs: 30_000 },
    );
    await eventually(async () =>
      expect(await kubectl('get', 'tev', '-n', namespace, 'counted')).toMatch(
        /counted\s+OnSale\s+100\s+2\s+95/,
      ),
    );
  });

  it('writes nothing on a resync that finds nothing changed', async () => {
    const { namespace } = world;
    applyManifest(ticketEvent(namespace, 'quiet'));
    await kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', namespace, 'tev/quiet');
    await eventually(async () => expect((await world.allocator('quiet')).status?.availableReplicas).toBe(1), {
      timeoutMs: 60_000,
    });
    const versions = async (): Promise<(string | undefined)[]> => [
      (await readEvent(namespace, 'quiet')).metadata.resourceVersion,
      (await world.allocator('quiet')).metadata?.resourceVersion,
      (
        (await custom.getNamespacedCustomObject({
          group: 'keda.sh',
          version: 'v1alpha1',
          namespace: world.platformNamespace,
          plural: 'scaledobjects',
          name: allocatorName({ namespace, name: 'quiet' }),
        })) as { metadata: { resourceVersion: string } }
      ).metadata.resourceVersion,
    ];
    await new Promise((r) => setTimeout(r, 3_000)); // let the rollout's last status settle
    const before = await versions();
    world.controller!.queue.add(`${namespace}/quiet`);
    await new Promise((r) => setTimeout(r, 5_000)); // the explicit reconcile and two resyncs (RESYNC_SECONDS=2)
    expect(await versions()).toEqual(before);
  });

  it('stops sales on delete, keeps the orders, and removes its finalizer and its children from the platform namespace', async () => {
    const { namespace, pool } = world;
    applyManifest(ticketEvent(namespace, 'farewell'));
    await kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', namespace, 'tev/farewell');
    expect(await world.children('farewell')).toHaveLength(2);
    await applyShardBatch(
      pool,
      { namespace, name: 'farewell' },
      1,
      [
        {
          v: 1,
          kind: 'purchase.requested',
          orderId: newOrderId(),
          buyerId: 'cleo',
          ticketType: 'standard',
          quantity: 1,
          idempotencyKey: newOrderId(),
          requestedAt: new Date().toISOString(),
        },
      ],
      new Date(),
    );
    await kubectl('delete', 'tev', 'farewell', '-n', namespace, '--timeout=60s');
    const { rows } = await pool.query<{ closed_at: Date | null; orders: string }>(
      `SELECT e.closed_at, (SELECT count(*) FROM orders o WHERE o.event_id = e.id) AS orders
       FROM events e WHERE namespace = $1 AND name = $2`,
      [namespace, 'farewell'],
    );
    expect(rows[0]!.closed_at).not.toBeNull();
    expect(Number(rows[0]!.orders)).toBe(1);
    await expect(kubectl('get', 'tev', '-n', namespace, 'farewell')).rejects.toThrow(/NotFound/);
    // The finalizer deleted them before it let go: no garbage collection to wait for.
    expect(await world.children('farewell')).toEqual([]);
  });

  it('deletes the purchase topic on delete when the policy says Delete and nothing is in flight', async () => {
    const { namespace, admin } = world;
    applyManifest(ticketEvent(namespace, 'ephemeral', { deletionPolicy: 'Delete' }));
    await kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', namespace, 'tev/ephemeral');
    const topic = eventTopic({ namespace, name: 'ephemeral' });
    expect(await admin.listTopics()).toContain(topic);
    await kubectl('delete', 'tev', 'ephemeral', '-n', namespace, '--timeout=60s');
    await eventually(async () => expect(await admin.listTopics()).not.toContain(topic), {
      timeoutMs: 30_000,
    });
  });
});

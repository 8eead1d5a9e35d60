import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  Watch,
  type V1Deployment,
} from '@kubernetes/client-node';
import { createNamespace, eventually, kubeConfig, uniqueName } from '@boxoffice/testkit';

const keda = { group: 'keda.sh', version: 'v1alpha1', plural: 'scaledobjects' };

function scaledObject(name: string, spec: Record<string, unknown>): object {
  return { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name }, spec };
}

describe('Kubernetes API server with simulated nodes (real kube-apiserver, etcd, controllers, KWOK)', () => {
  const config = kubeConfig();
  const core = config.makeApiClient(CoreV1Api);
  const apps = config.makeApiClient(AppsV1Api);
  const custom = config.makeApiClient(CustomObjectsApi);
  let namespace: string;
  const watches: AbortController[] = [];

  beforeAll(async () => {
    namespace = await createNamespace(uniqueName('smoke-kube'));
  });
  afterAll(async () => {
    for (const watch of watches) watch.abort();
    await core.deleteNamespace({ name: namespace });
  });

  it('shows a created KEDA ScaledObject through a watch', async () => {
    // List first: it proves the CRD's endpoint is served (on a fresh API server it can lag behind
    // Established) and gives the resourceVersion the watch starts from, so no event is missed.
    const list = (await eventually(() => custom.listNamespacedCustomObject({ ...keda, namespace }))) as {
      metadata: { resourceVersion: string };
    };
    const seen: string[] = [];
    const ended: unknown[] = [];
    const watch = await new Watch(config).watch(
      `/apis/keda.sh/v1alpha1/namespaces/${namespace}/scaledobjects`,
      { resourceVersion: list.metadata.resourceVersion },
      (type: string, object: { metadata?: { name?: string } }) =>
        seen.push(`${type} ${object.metadata?.name}`),
      (error: unknown) => ended.push(error),
    );
    watches.push(watch);
    await custom.createNamespacedCustomObject({
      ...keda,
      namespace,
      body: scaledObject('allocator', {
        scaleTargetRef: { name: 'allocator' },
        minReplicaCount: 0,
        maxReplicaCount: 4,
        triggers: [
          {
            type: 'apache-kafka',
            metadata: { bootstrapServers: 'kafka:9092', consumerGroup: 'g', topic: 't', lagThreshold: '50' },
          },
        ],
      }),
    });
    // KEDA runs on this control plane too: its finalizer and status follow as MODIFIED events.
    await eventually(() =>
      expect({ first: seen[0], ended }).toEqual({ first: 'ADDED allocator', ended: [] }),
    );
    expect(seen.filter((event) => !event.startsWith('MODIFIED'))).toEqual(['ADDED allocator']);
  });

  it("rejects a ScaledObject that breaks KEDA's schema, naming the field", async () => {
    const attempt = custom.createNamespacedCustomObject({
      ...keda,
      namespace,
      body: scaledObject('broken', { scaleTargetRef: { name: 'allocator' }, maxReplicaCount: 'many' }),
    });
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiException);
    expect((error as ApiException<unknown>).code).toBe(422);
    expect(String((error as ApiException<unknown>).body)).toMatch(/spec\.triggers: Required value/);
    expect(String((error as ApiException<unknown>).body)).toMatch(/spec\.maxReplicaCount/);
  });

  it('rolls a Deployment out onto the simulated node until it is Available', async () => {
    const labels = { app: 'smoke' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'smoke' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
          },
        },
      },
    });
    const deployment: V1Deployment = await eventually(
      async () => {
        const current = await apps.readNamespacedDeployment({ name: 'smoke', namespace });
        expect(current.status?.availableReplicas).toBe(2);
        return current;
      },
      { timeoutMs: 60_000 },
    );
    expect(deployment.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=smoke' });
    expect(pods.items.map((pod) => pod.status?.phase)).toEqual(['Running', 'Running']);
  });

  it('garbage-collects a child when its owner is deleted', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'owner' } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: {
          name: 'child',
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              name: 'owner',
              uid: owner.metadata!.uid!,
              blockOwnerDeletion: true,
            },
          ],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace, propagationPolicy: 'Background' });
    await eventually(
      async () => {
        const names = (await core.listNamespacedConfigMap({ namespace })).items.map(
          (cm) => cm.metadata?.name,
        );
        expect(names).not.toContain('child');
      },
      { timeoutMs: 60_000 },
    );
  });
});

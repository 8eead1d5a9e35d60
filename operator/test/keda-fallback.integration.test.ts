import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { kubeConfig, kubectl } from '@boxoffice/testkit';
import { ApiException, CustomObjectsApi } from '@kubernetes/client-node';
import { allocatorName } from '../src/desired/index.ts';
import { applyManifest, OperatorWorld, readEvent, ticketEvent } from './fixtures.ts';

/**
 * KEDA's CRD cannot be removed from a shared API server, so this operator is told to look for
 * ScaledObjects under an API group nobody serves: to its discovery check, KEDA is not installed.
 */
describe('the operator without KEDA (real kube-apiserver, Kafka, PostgreSQL)', () => {
  const world = new OperatorWorld();
  beforeAll(() => world.start('nokeda', { env: { KEDA_API_VERSION: 'keda.absent.boxoffice.dev/v1alpha1' } }));
  afterAll(() => world.stop());

  it('falls back to a fixed-replica allocator and reports ScalerReady=False with KedaNotInstalled', async () => {
    const { namespace } = world;
    applyManifest(
      ticketEvent(namespace, 'solo', { allocator: { minReplicas: 0, maxReplicas: 2, lagThreshold: 50 } }),
    );
    await kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', namespace, 'tev/solo');
    const event = await readEvent(namespace, 'solo');
    expect(event.status?.conditions?.find((c) => c.type === 'ScalerReady')).toMatchObject({
      status: 'False',
      reason: 'KedaNotInstalled',
    });
    const deployment = await world.allocator('solo');
    expect(deployment.spec?.replicas).toBe(2);
    const scaledObject = kubeConfig()
      .makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObject({
        group: 'keda.sh',
        version: 'v1alpha1',
        namespace: world.platformNamespace,
        plural: 'scaledobjects',
        name: allocatorName({ namespace, name: 'solo' }),
      });
    await expect(scaledObject).rejects.toBeInstanceOf(ApiException);
    await expect(scaledObject).rejects.toMatchObject({ code: 404 });
  });
});

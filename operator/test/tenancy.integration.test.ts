import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  dependencies,
  eventually,
  kafkaEnv,
  kubeConfig,
  kubeConfigAs,
  kubectl,
  uniqueName,
} from '@boxoffice/testkit';
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { startController } from '../src/controller.ts';
import { allocatorName } from '../src/desired/index.ts';
import { ALLOCATOR_SECRET, applyManifest, operatorIdentity, OperatorWorld, ticketEvent } from './fixtures.ts';

/**
 * A namespace is an organizer. Allocators need the shared database's credentials, so they run in the
 * platform's namespace and read them from a Secret there: an organizer who may edit everything in
 * their own namespace still cannot read a platform credential anywhere.
 */
describe('tenant isolation (real kube-apiserver, Kafka, PostgreSQL)', () => {
  const world = new OperatorWorld();
  let organizer: KubeConfig;
  beforeAll(async () => {
    await world.start('tenancy');
    const user = uniqueName('organizer');
    await kubectl(
      'create',
      'rolebinding',
      user,
      '-n',
      world.namespace,
      '--clusterrole=edit',
      `--user=${user}`,
    );
    organizer = kubeConfigAs(user);
  });
  afterAll(() => world.stop());

  const ready = (name: string) =>
    kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', world.namespace, `tev/${name}`);
  /** The platform's credentials: the URLs, the passwords in them, and every Kafka principal's password. */
  const credentials = (): string[] => {
    const urls = [world.databaseUrl, dependencies().redisUrl];
    const passwords = urls.map((url) => decodeURIComponent(new URL(url).password));
    const kafka = (['allocator', 'operator'] as const).map((p) => kafkaEnv(p).KAFKA_SASL_PASSWORD ?? '');
    return [...urls, ...passwords, ...kafka].filter(Boolean);
  };
  const restartOperator = async (identity: KubeConfig, env: Record<string, string> = {}) => {
    await world.controller?.stop();
    world.controller = await startController({
      kubeConfig: identity,
      provision: { pool: world.pool, admin: world.admin },
      config: world.config(env),
      logger: world.logger,
    });
  };

  it("runs an event's allocator in the platform namespace, Ready, with its credentials as Secret references", async () => {
    const { namespace, platformNamespace } = world;
    applyManifest(ticketEvent(namespace, 'gala'));
    await ready('gala');
    const name = allocatorName({ namespace, name: 'gala' });
    await kubectl(
      'wait',
      '--for=condition=Available',
      '--timeout=60s',
      '-n',
      platformNamespace,
      `deploy/${name}`,
    );
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const selector = `boxoffice.dev/event-namespace=${namespace},boxoffice.dev/event-name=gala`;
    const pods = (await core.listNamespacedPod({ namespace: platformNamespace, labelSelector: selector }))
      .items;
    expect(pods.length).toBeGreaterThanOrEqual(1);
    for (const pod of pods) {
      const env = pod.spec!.containers[0]!.env!;
      const fromSecrets = env.filter((e) => e.valueFrom?.secretKeyRef);
      expect(fromSecrets.map((e) => e.valueFrom!.secretKeyRef!.name)).toEqual(
        fromSecrets.map(() => ALLOCATOR_SECRET),
      );
      const credentialNames = ['DATABASE_URL', 'REDIS_URL'];
      if (kafkaEnv('allocator').KAFKA_SASL_PASSWORD)
        credentialNames.push('KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD');
      expect(fromSecrets.map((e) => e.name).sort()).toEqual(credentialNames.sort());
      for (const secret of credentials()) expect(JSON.stringify(pod)).not.toContain(secret);
    }
    // Nothing of the allocator is left in the organizer's namespace.
    expect((await core.listNamespacedPod({ namespace })).items).toEqual([]);
  });

  it('an organizer with edit rights on their namespace cannot read any platform credential', async () => {
    const { namespace, platformNamespace } = world;
    const can = async (attributes: V1ResourceAttributes): Promise<boolean> =>
      (
        await organizer.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
          body: { spec: { resourceAttributes: attributes } },
        })
      ).status!.allowed;
    // The identity really is an editor of its namespace (or the refusals below would prove nothing).
    expect(await can({ namespace, verb: 'create', resource: 'pods' })).toBe(true);
    expect(await can({ namespace, verb: 'get', resource: 'secrets' })).toBe(true);
    // Not a credential of the platform's namespace, directly or through a pod that mounts it.
    for (const [verb, resource, group] of [
      ['get', 'secrets', ''],
      ['list', 'secrets', ''],
      ['watch', 'secrets', ''],
      ['get', 'deployments', 'apps'],
      ['list', 'pods', ''],
      ['create', 'pods', ''],
      ['create', 'deployments', 'apps'],
    ] as const)
      expect([verb, resource, await can({ namespace: platformNamespace, verb, resource, group })]).toEqual([
        verb,
        resource,
        false,
      ]);

    const core = organizer.makeApiClient(CoreV1Api);
    const apps = organizer.makeApiClient(AppsV1Api);
    const refusals = [
      core.readNamespacedSecret({ name: ALLOCATOR_SECRET, namespace: platformNamespace }),
      core.listNamespacedSecret({ namespace: platformNamespace }),
      core.listSecretForAllNamespaces(),
      apps.readNamespacedDeployment({
        name: allocatorName({ namespace, name: 'gala' }),
        namespace: platformNamespace,
      }),
      apps.listDeploymentForAllNamespaces(),
      core.listNamespacedPod({ namespace: platformNamespace }),
    ];
    for (const refusal of refusals) await expect(refusal).rejects.toMatchObject({ code: 403 });

    // Everything the organizer may read in their own namespace holds no credential and no allocator.
    const own = {
      deployments: (await apps.listNamespacedDeployment({ namespace })).items,
      replicaSets: (await apps.listNamespacedReplicaSet({ namespace })).items,
      pods: (await core.listNamespacedPod({ namespace })).items,
      secrets: (await core.listNamespacedSecret({ namespace })).items,
      configMaps: (await core.listNamespacedConfigMap({ namespace })).items,
      events: (await core.listNamespacedEvent({ namespace })).items,
    };
    expect(own.deployments).toEqual([]);
    expect(own.pods).toEqual([]);
    const everything = JSON.stringify(own);
    for (const secret of credentials()) expect(everything).not.toContain(secret);
  });

  it('deletes the allocator of an event that went while no operator ran, at the next start', async () => {
    const { namespace } = world;
    applyManifest(ticketEvent(namespace, 'orphan'));
    await ready('orphan');
    expect(await world.children('orphan')).toHaveLength(2);
    await world.controller!.stop();
    world.controller = undefined;
    // Deleted for good without its finalizer, as by someone who forced it while the operator was down.
    await kubectl('delete', 'tev', '-n', namespace, 'orphan', '--wait=false');
    await kubectl(
      'patch',
      'tev',
      '-n',
      namespace,
      'orphan',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    );
    await expect(kubectl('get', 'tev', '-n', namespace, 'orphan')).rejects.toThrow(/NotFound/);
    expect(await world.children('orphan')).toHaveLength(2);

    await restartOperator(world.identity.kubeConfig);
    await eventually(async () => expect(await world.children('orphan')).toEqual([]), { timeoutMs: 30_000 });
  });

  it('lets go of a deleted event within its grace when the allocator cannot be deleted, and deletes it once it can', async () => {
    const { namespace, platformNamespace } = world;
    // An operator whose Role in the platform namespace lacks `delete`.
    const role = uniqueName('no-delete');
    await kubectl(
      'create',
      'role',
      role,
      '-n',
      platformNamespace,
      '--verb=list,watch,create,patch',
      '--resource=deployments.apps,scaledobjects.keda.sh',
    );
    const crippled = await operatorIdentity(platformNamespace, { allocatorRole: role });
    try {
      await restartOperator(crippled.kubeConfig, { CHILDREN_DELETE_GRACE_SECONDS: '3' });
      applyManifest(ticketEvent(namespace, 'stuck'));
      await ready('stuck');
      const started = Date.now();
      await kubectl('delete', 'tev', '-n', namespace, 'stuck', '--timeout=60s');
      // Retried for the grace, not forever.
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
      const warnings = await kubectl(
        'get',
        'events',
        '-n',
        namespace,
        '--field-selector',
        'involvedObject.name=stuck,type=Warning',
      );
      expect(warnings).toMatch(/AllocatorNotDeleted/);
      expect(await world.children('stuck')).toHaveLength(2);
    } finally {
      await kubectl('delete', 'clusterrolebinding', crippled.user);
    }
    await restartOperator(world.identity.kubeConfig);
    await eventually(async () => expect(await world.children('stuck')).toEqual([]), { timeoutMs: 30_000 });
  });
});

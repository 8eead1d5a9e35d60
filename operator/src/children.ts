import {
  AppsV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
  type V1Deployment,
} from '@kubernetes/client-node';
import { allocatorNamespace, type OperatorConfig } from './config.ts';
import {
  allocatorName,
  desiredAllocatorDeployment,
  desiredScaledObject,
  type EventRef,
} from './desired/index.ts';
import { isNotFound } from './errors.ts';
import { scaledObjectState, type ScaledObjectStatus } from './keda.ts';
import { Reason, type ChildState } from './status.ts';
import { FIELD_MANAGER, type TicketEvent } from './ticket-event.ts';

/** The children as the informers last saw them (none: every reconcile applies). */
export interface ChildCache {
  deployment(name: string): V1Deployment | undefined;
  scaledObject(name: string): KubernetesObject | undefined;
  applied(kind: 'deployments' | 'scaledobjects', object: KubernetesObject): void;
}

/**
 * Writes the event's allocator Deployment (and, with KEDA, its ScaledObject) by server-side apply
 * under one field manager, and reports what it observes. Applying an unchanged object writes
 * nothing, so this is safe on every resync; but it is still a request the API server processes in
 * full, and building the desired object (cdk8s) costs CPU. So a child this process applied for the
 * same event generation, unchanged since (the cached generation is the one its apply produced), is
 * neither built nor applied again: its cached state is the answer. The desired objects are pure
 * functions of the event (uid and generation name it) and the operator's config. A hand edit of the
 * spec moves the generation and is reverted at the next reconcile; a restart applies everything once.
 */
export function childrenApplier(kubeConfig: KubeConfig, config: OperatorConfig, cache?: ChildCache) {
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  /** Per child name: what it was applied for (event uid, generation, KEDA) and the generation that produced. */
  const applied = new Map<string, { input: string; generation: number | undefined }>();
  const apply = async <T extends KubernetesObject>(
    kind: 'deployments' | 'scaledobjects',
    name: string,
    input: string,
    build: () => Record<string, unknown>,
    cached: T | undefined,
  ): Promise<T> => {
    const key = `${kind}/${name}`;
    const last = applied.get(key);
    if (cached && last?.input === input && last.generation === cached.metadata?.generation) return cached;
    const object = build();
    const stored = (await objects.patch(
      object as KubernetesObject,
      undefined,
      undefined,
      FIELD_MANAGER,
      true, // force: the operator owns these fields, even if someone edited them by hand
      PatchStrategy.ServerSideApply,
    )) as T;
    cache?.applied(kind, stored);
    applied.set(key, { input, generation: stored.metadata?.generation });
    return stored;
  };

  return async (
    event: TicketEvent,
    kedaInstalled: boolean,
  ): Promise<{ allocator: ChildState; scaler: ChildState }> => {
    // The apply answer is the stored object with its status: no second read for readiness.
    const name = allocatorName(event.metadata);
    const input = `${event.metadata.uid}/${event.metadata.generation}/${kedaInstalled}`;
    // Both at once: KEDA waits for a ScaledObject's target to appear, so neither needs the other first.
    // The ScaledObject's answer (or its cached copy, kept current by the informer) carries KEDA's
    // status too; its changes requeue the event.
    const [deployment, scaledObject] = await Promise.all([
      apply<V1Deployment>(
        'deployments',
        name,
        input,
        () => desiredAllocatorDeployment(event, config, { autoscaled: kedaInstalled }),
        cache?.deployment(name),
      ),
      kedaInstalled &&
        apply<KubernetesObject & ScaledObjectStatus>(
          'scaledobjects',
          name,
          input,
          () => desiredScaledObject(event, config),
          cache?.scaledObject(name),
        ),
    ]);
    let scaler: ChildState;
    if (scaledObject) {
      const { minReplicas, maxReplicas } = event.spec.allocator;
      scaler = scaledObjectState(scaledObject, `${minReplicas}..${maxReplicas}`);
    } else {
      scaler = {
        ready: false,
        reason: Reason.KedaNotInstalled,
        message: `KEDA (${config.KEDA_API_VERSION} scaledobjects) is not installed: the allocator runs ${deployment.spec?.replicas ?? 1} fixed replicas`,
      };
    }
    return { allocator: deploymentState(deployment), scaler };
  };
}

/**
 * Deletes an event's allocator (ScaledObject first, so KEDA stops scaling it, then the Deployment)
 * from the platform's namespace, by the name its key gives. Owner references cannot point across
 * namespaces, so this is what garbage collection would have done: the finalizer calls it, and so does
 * the reconcile of an event that no longer exists (the orphan sweep). Already gone counts as done.
 */
export function childrenRemover(
  kubeConfig: KubeConfig,
  config: OperatorConfig,
  keda: { installed(): Promise<boolean> },
) {
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const [group, version] = config.KEDA_API_VERSION.split('/') as [string, string];
  const namespace = allocatorNamespace(config);
  const deleted = async (removal: Promise<unknown>): Promise<boolean> =>
    removal.then(
      () => true,
      (error: unknown) => {
        if (isNotFound(error)) return false;
        throw error;
      },
    );

  /** Resolves to whether anything was left to delete. */
  return async (event: EventRef): Promise<boolean> => {
    const name = allocatorName(event);
    // Without KEDA there are no ScaledObjects (and RBAC may refuse a group nobody serves before the
    // API server could answer 404).
    const scaler =
      (await keda.installed()) &&
      (await deleted(
        custom.deleteNamespacedCustomObject({ group, version, namespace, plural: 'scaledobjects', name }),
      ));
    const deployment = await deleted(apps.deleteNamespacedDeployment({ name, namespace }));
    return scaler || deployment;
  };
}

/** Ready once the current spec is rolled out and some replica serves (or KEDA scaled it to zero). */
export function deploymentState(deployment: V1Deployment): ChildState {
  const rolledOut = (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1);
  const available = deployment.status?.availableReplicas ?? 0;
  const wanted = deployment.spec?.replicas ?? 0;
  const name = deployment.metadata?.name ?? 'allocator';
  if (rolledOut && wanted === 0)
    return { ready: true, reason: Reason.ScaledToZero, message: `${name}: no lag, scaled to zero` };
  if (rolledOut && available >= 1)
    return {
      ready: true,
      reason: Reason.DeploymentAvailable,
      message: `${name}: ${available}/${wanted} replicas available`,
    };
  return {
    ready: false,
    reason: Reason.RollingOut,
    message: `${name}: ${available}/${wanted} replicas available`,
  };
}

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

/**
 * Writes the event's allocator Deployment (and, with KEDA, its ScaledObject) by server-side apply
 * under one field manager, and reports what it observes. Applying an unchanged object writes
 * nothing, so this is safe on every resync.
 */
export function childrenApplier(kubeConfig: KubeConfig, config: OperatorConfig) {
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  const apply = <T extends KubernetesObject>(object: Record<string, unknown>): Promise<T> =>
    objects.patch(
      object as KubernetesObject,
      undefined,
      undefined,
      FIELD_MANAGER,
      true, // force: the operator owns these fields, even if someone edited them by hand
      PatchStrategy.ServerSideApply,
    ) as Promise<T>;

  return async (
    event: TicketEvent,
    kedaInstalled: boolean,
  ): Promise<{ allocator: ChildState; scaler: ChildState }> => {
    // The apply answer is the stored object with its status: no second read for readiness.
    const deployment = await apply<V1Deployment>(
      desiredAllocatorDeployment(event, config, { autoscaled: kedaInstalled }),
    );
    let scaler: ChildState;
    if (kedaInstalled) {
      // The apply answer carries KEDA's status too; its changes requeue the event (the informer).
      const scaledObject = await apply<KubernetesObject & ScaledObjectStatus>(
        desiredScaledObject(event, config),
      );
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

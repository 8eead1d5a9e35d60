import { CapacityBelowAllocatedError } from '@boxoffice/inventory';
import type { Logger } from '@boxoffice/platform/logger';
import {
  closeEvent,
  eventCounters,
  provisionEvent,
  ShardsDecreaseError,
  type ProvisionDeps,
} from '@boxoffice/store';
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { OperatorConfig } from './config.ts';
import { allocatorName, desiredAllocatorDeployment, desiredScaledObject } from './desired.ts';
import { desiredStatus, Reason, statusChanged, type Observed } from './status.ts';
import {
  FIELD_MANAGER,
  FINALIZER,
  GROUP,
  PLURAL,
  toEventDefinition,
  VERSION,
  type TicketEvent,
} from './ticket-event.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const isNotFound = (error: unknown): boolean => error instanceof ApiException && error.code === 404;

export interface ReconcilerDeps {
  kubeConfig: KubeConfig;
  provision: ProvisionDeps;
  config: OperatorConfig;
  logger: Logger;
  now?: () => Date;
}

/**
 * Level-triggered reconcile of one TicketEvent: reads actual state and converges, so it is safe to
 * run any time and as often as wanted; a no-op run writes nothing. Errors propagate to the queue,
 * which retries with backoff; terminal problems (a refused edit) become conditions and Events.
 */
export function ticketEventReconciler(
  deps: ReconcilerDeps,
): (key: string) => Promise<{ requeueAfterMs?: number } | void> {
  const custom = deps.kubeConfig.makeApiClient(CustomObjectsApi);
  const core = deps.kubeConfig.makeApiClient(CoreV1Api);
  const apps = deps.kubeConfig.makeApiClient(AppsV1Api);
  const crds = deps.kubeConfig.makeApiClient(ApiextensionsV1Api);
  const objects = KubernetesObjectApi.makeApiClient(deps.kubeConfig);
  const now = deps.now ?? (() => new Date());

  const apply = (object: Record<string, unknown>): Promise<KubernetesObject> =>
    objects.patch(
      object as KubernetesObject,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );

  const record = async (
    event: TicketEvent,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> => {
    const at = now();
    await core
      .createNamespacedEvent({
        namespace: event.metadata.namespace,
        body: {
          metadata: { generateName: `${event.metadata.name}.`, namespace: event.metadata.namespace },
          involvedObject: {
            apiVersion: event.apiVersion,
            kind: event.kind,
            name: event.metadata.name,
            namespace: event.metadata.namespace,
            uid: event.metadata.uid,
          },
          type,
          reason,
          message,
          source: { component: FIELD_MANAGER },
          firstTimestamp: at,
          lastTimestamp: at,
          count: 1,
        },
      })
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'could not record a Kubernetes Event'));
  };

  const kedaInstalled = async (): Promise<boolean> => {
    try {
      await crds.readCustomResourceDefinition({ name: 'scaledobjects.keda.sh' });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  };

  return async (key) => {
    const [namespace, name] = key.split('/') as [string, string];
    const log = deps.logger.child({ ticketEvent: key });
    let event: TicketEvent;
    try {
      event = (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        name,
      })) as TicketEvent;
    } catch (error) {
      if (isNotFound(error)) return; // gone: children are garbage-collected through owner references
      throw error;
    }

    if (event.metadata.deletionTimestamp) {
      if (!event.metadata.finalizers?.includes(FINALIZER)) return;
      const { topicDeleted } = await closeEvent(deps.provision, event.metadata, {
        deleteTopic: event.spec.deletionPolicy === 'Delete',
      });
      if (event.spec.deletionPolicy === 'Delete' && !topicDeleted) {
        await record(
          event,
          'Normal',
          'WaitingForInFlightOrders',
          'sales stopped; the topic is deleted once no hold is pending',
        );
        return { requeueAfterMs: 5_000 };
      }
      await custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace,
          plural: PLURAL,
          name,
          body: {
            metadata: {
              finalizers: event.metadata.finalizers.filter((f) => f !== FINALIZER),
              resourceVersion: event.metadata.resourceVersion,
            },
          },
        },
        mergePatch,
      );
      log.info('sales stopped, finalizer removed (orders and tickets are kept)');
      return;
    }

    if (!event.metadata.finalizers?.includes(FINALIZER)) {
      event = (await custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace,
          plural: PLURAL,
          name,
          body: {
            metadata: {
              finalizers: [...(event.metadata.finalizers ?? []), FINALIZER],
              resourceVersion: event.metadata.resourceVersion,
            },
          },
        },
        mergePatch,
      )) as TicketEvent;
    }

    const observed: Observed = {
      now: now(),
      generation: event.metadata.generation ?? 0,
      topic: { ready: false, reason: Reason.ProvisioningFailed, message: '' },
      inventory: { ready: false, reason: Reason.ProvisioningFailed, message: '' },
      allocator: { ready: false, reason: Reason.RollingOut, message: '' },
      scaler: { ready: false, reason: Reason.ApplyFailed, message: '' },
      counters: [],
    };
    try {
      await provisionEvent(deps.provision, toEventDefinition(event));
      observed.topic = {
        ready: true,
        reason: Reason.Provisioned,
        message: `topic with ${event.spec.shards ?? 1} partitions`,
      };
      observed.inventory = { ready: true, reason: Reason.Provisioned, message: 'shard rows match the spec' };
    } catch (error) {
      if (!(error instanceof CapacityBelowAllocatedError) && !(error instanceof ShardsDecreaseError))
        throw error;
      // A refused edit is terminal until the spec changes: report it, keep selling what exists.
      const reason =
        error instanceof CapacityBelowAllocatedError ? Reason.CapacityBelowAllocated : Reason.ShardsDecreased;
      observed.topic = { ready: true, reason: Reason.Provisioned, message: 'topic exists' };
      observed.inventory = { ready: false, reason, message: error.message };
      if (event.status?.conditions?.find((c) => c.type === 'InventoryReady')?.reason !== reason)
        await record(event, 'Warning', reason, error.message);
    }

    const keda = await kedaInstalled();
    await apply(desiredAllocatorDeployment(event, deps.config, { kedaInstalled: keda }));
    if (keda) {
      await apply(desiredScaledObject(event, deps.config));
      observed.scaler = {
        ready: true,
        reason: Reason.Applied,
        message: `scales on consumer lag, ${event.spec.allocator?.minReplicas ?? 0}..${event.spec.allocator?.maxReplicas ?? 1} replicas`,
      };
    } else {
      observed.scaler = {
        ready: false,
        reason: Reason.KedaNotInstalled,
        message: 'KEDA CRDs not found: the allocator runs with a fixed replica count',
      };
    }
    const deployment = await apps.readNamespacedDeployment({ name: allocatorName(event), namespace });
    const rolledOut = (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1);
    const available = deployment.status?.availableReplicas ?? 0;
    const wanted = deployment.spec?.replicas ?? 0;
    observed.allocator =
      rolledOut && wanted === 0
        ? { ready: true, reason: Reason.ScaledToZero, message: 'no lag: scaled to zero' }
        : rolledOut && available >= Math.min(1, wanted)
          ? {
              ready: true,
              reason: Reason.DeploymentAvailable,
              message: `${available}/${wanted} replicas available`,
            }
          : { ready: false, reason: Reason.RollingOut, message: `${available}/${wanted} replicas available` };

    observed.counters = await eventCounters(deps.provision.pool, event.metadata);
    const status = desiredStatus(event, observed);
    if (statusChanged(event.status, status)) {
      await custom.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { status } },
        mergePatch,
      );
      if (status.phase !== event.status?.phase) {
        await record(
          event,
          status.phase === 'Failed' ? 'Warning' : 'Normal',
          `Phase${status.phase}`,
          `phase ${event.status?.phase ?? '(none)'} → ${status.phase}`,
        );
      }
      log.info({ phase: status.phase, ready: status.ready }, 'status updated');
    }
    // While on sale, counters move without any Kubernetes change: resync to keep status fresh.
    return status.phase === 'OnSale' || status.phase === 'Provisioning'
      ? { requeueAfterMs: deps.config.RESYNC_SECONDS * 1_000 }
      : undefined;
  };
}

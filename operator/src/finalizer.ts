import type { Logger } from '@boxoffice/platform/logger';
import { closeEvent, type ProvisionDeps } from '@boxoffice/store';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { allocatorNamespace, type OperatorConfig } from './config.ts';
import type { EventRef } from './desired/index.ts';
import { errorMessage } from './errors.ts';
import type { EventRecorder } from './kube-events.ts';
import { FINALIZER, GROUP, PLURAL, VERSION, type TicketEvent } from './ticket-event.ts';
import type { ReconcileResult } from './work-queue.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * The finalizer cleans up what garbage collection cannot: stop sales (orders and tickets are kept
 * forever), delete the topic when the policy says so and nothing is in flight, delete the allocator
 * (it lives in the platform's namespace, out of reach of an ownerReference; it runs until here
 * because in-flight holds are settled through it), then let go. Every wait is bounded, so deleting a
 * namespace full of events never hangs on this finalizer: an allocator it could not delete in time
 * is deleted once the event is gone (the reconcile of a missing event, at the latest on the
 * operator's next start).
 */
export function finalizer(deps: {
  kubeConfig: KubeConfig;
  provision: ProvisionDeps;
  config: OperatorConfig;
  logger: Logger;
  record: EventRecorder;
  now: () => Date;
  /** Deletes the event's allocator from the platform namespace (children.ts childrenRemover). */
  removeChildren: (event: EventRef) => Promise<boolean>;
}) {
  const custom = deps.kubeConfig.makeApiClient(CustomObjectsApi);
  const { removeChildren } = deps;

  return async (event: TicketEvent): Promise<ReconcileResult> => {
    const { namespace, name } = event.metadata;
    if (!event.metadata.finalizers?.includes(FINALIZER)) return;
    const wantsTopicDeleted = event.spec.deletionPolicy === 'Delete';
    const { topicDeleted } = await closeEvent(deps.provision, event.metadata, {
      deleteTopic: wantsTopicDeleted,
    });
    const waitedMs = deps.now().getTime() - new Date(event.metadata.deletionTimestamp!).getTime();
    const topicGraceMs = wantsTopicDeleted ? deps.config.TOPIC_DELETE_GRACE_SECONDS * 1_000 : 0;
    if (wantsTopicDeleted && !topicDeleted) {
      if (waitedMs < topicGraceMs) {
        await deps.record(
          event,
          'Normal',
          'WaitingForInFlightOrders',
          'sales stopped; the purchase topic is deleted once no hold or purchase is in flight',
        );
        return { requeueAfterMs: Math.min(5_000, topicGraceMs - waitedMs) };
      }
      await deps.record(
        event,
        'Warning',
        'TopicRetained',
        `orders were still in flight after ${deps.config.TOPIC_DELETE_GRACE_SECONDS}s: the purchase topic is kept`,
      );
    }
    try {
      await removeChildren(event.metadata);
    } catch (error) {
      // Retried (with backoff) until the grace ends; then the missing event's reconcile takes over.
      if (waitedMs < topicGraceMs + deps.config.CHILDREN_DELETE_GRACE_SECONDS * 1_000) throw error;
      await deps.record(
        event,
        'Warning',
        'AllocatorNotDeleted',
        `could not delete the allocator in ${allocatorNamespace(deps.config)} (${errorMessage(error)}); the operator deletes it once this event is gone`,
      );
    }
    await deps.record(
      event,
      'Normal',
      'SalesStopped',
      `sales stopped; orders and tickets are kept${topicDeleted ? '; purchase topic deleted' : ''}`,
    );
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
            // A finalizer another controller added meanwhile must not be dropped: 409, then retry.
            resourceVersion: event.metadata.resourceVersion,
          },
        },
      },
      mergePatch,
    );
    deps.logger.info({ ticketEvent: `${namespace}/${name}`, topicDeleted }, 'finalized');
  };
}

import type { Logger } from '@boxoffice/platform/logger';
import { closeEvent, type ProvisionDeps } from '@boxoffice/store';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { OperatorConfig } from './config.ts';
import type { EventRecorder } from './kube-events.ts';
import { FINALIZER, GROUP, PLURAL, VERSION, type TicketEvent } from './ticket-event.ts';
import type { ReconcileResult } from './work-queue.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * The finalizer only cleans up what lives outside Kubernetes (children go by garbage collection):
 * stop sales (orders and tickets are kept forever), delete the topic when the policy says so and
 * nothing is in flight, then let go. Waiting for in-flight holds is bounded, so deleting a
 * namespace full of events never hangs on this finalizer.
 */
export function finalizer(deps: {
  kubeConfig: KubeConfig;
  provision: ProvisionDeps;
  config: OperatorConfig;
  logger: Logger;
  record: EventRecorder;
  now: () => Date;
}) {
  const custom = deps.kubeConfig.makeApiClient(CustomObjectsApi);

  return async (event: TicketEvent): Promise<ReconcileResult> => {
    const { namespace, name } = event.metadata;
    if (!event.metadata.finalizers?.includes(FINALIZER)) return;
    const wantsTopicDeleted = event.spec.deletionPolicy === 'Delete';
    const { topicDeleted } = await closeEvent(deps.provision, event.metadata, {
      deleteTopic: wantsTopicDeleted,
    });
    if (wantsTopicDeleted && !topicDeleted) {
      const waitedMs = deps.now().getTime() - new Date(event.metadata.deletionTimestamp!).getTime();
      const graceMs = deps.config.TOPIC_DELETE_GRACE_SECONDS * 1_000;
      if (waitedMs < graceMs) {
        await deps.record(
          event,
          'Normal',
          'WaitingForInFlightOrders',
          'sales stopped; the purchase topic is deleted once no hold or purchase is in flight',
        );
        return { requeueAfterMs: Math.min(5_000, graceMs - waitedMs) };
      }
      await deps.record(
        event,
        'Warning',
        'TopicRetained',
        `orders were still in flight after ${deps.config.TOPIC_DELETE_GRACE_SECONDS}s: the purchase topic is kept`,
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

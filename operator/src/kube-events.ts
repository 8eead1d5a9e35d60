import type { Logger } from '@boxoffice/platform/logger';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { FIELD_MANAGER, type TicketEvent } from './ticket-event.ts';

export type EventType = 'Normal' | 'Warning';

/**
 * Kubernetes Events on TicketEvents (`kubectl describe` shows them). The same reason and message
 * for the same object is recorded once per window, so a retry loop cannot flood the namespace;
 * failing to record never fails a reconcile.
 */
export function eventRecorder(kubeConfig: KubeConfig, logger: Logger, windowMs = 10 * 60_000) {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const recent = new Map<string, number>();
  return async (event: TicketEvent, type: EventType, reason: string, message: string): Promise<void> => {
    const key = `${event.metadata.uid}/${reason}/${message}`;
    const now = Date.now();
    if ((recent.get(key) ?? -Infinity) > now - windowMs) return;
    recent.set(key, now);
    for (const [k, at] of recent) if (at <= now - windowMs) recent.delete(k);
    const at = new Date(now);
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
            resourceVersion: event.metadata.resourceVersion,
          },
          type,
          reason,
          message,
          source: { component: FIELD_MANAGER },
          reportingComponent: FIELD_MANAGER,
          firstTimestamp: at,
          lastTimestamp: at,
          count: 1,
        },
      })
      .catch((error: unknown) => {
        recent.delete(key);
        logger.debug({ err: error, reason }, 'could not record a Kubernetes Event');
      });
  };
}

export type EventRecorder = ReturnType<typeof eventRecorder>;

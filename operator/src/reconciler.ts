import type { Logger } from '@boxoffice/platform/logger';
import { eventCounters, provisionEvent, TicketTypeInUseError, type ProvisionDeps } from '@boxoffice/store';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { childrenApplier, childrenRemover } from './children.ts';
import type { OperatorConfig } from './config.ts';
import {
  asTerminal,
  errorMessage,
  isConflict,
  isNotFound,
  standingRefusal,
  TerminalError,
} from './errors.ts';
import { finalizer } from './finalizer.ts';
import { kedaDiscovery } from './keda.ts';
import { eventRecorder } from './kube-events.ts';
import { desiredStatus, Reason, requeueAfterMs, statusChanged, type ChildState } from './status.ts';
import { FINALIZER, GROUP, PLURAL, toEventDefinition, VERSION, type TicketEvent } from './ticket-event.ts';
import type { ReconcileResult } from './work-queue.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Removing a ticket type that has held or sold tickets waits for a spec that keeps it. */
const removalRefused = (error: unknown): TerminalError | undefined =>
  error instanceof TicketTypeInUseError
    ? new TerminalError(Reason.TicketTypeInUse, error.message, { cause: error })
    : undefined;

export interface ReconcilerDeps {
  kubeConfig: KubeConfig;
  provision: ProvisionDeps;
  config: OperatorConfig;
  logger: Logger;
  now?: () => Date;
}

/**
 * Level-triggered reconcile of one TicketEvent by key: reads actual state and converges, so it is
 * safe to run any time and as often as wanted; a run that finds nothing to change writes nothing.
 * Retryable errors propagate to the queue (backoff); terminal ones become conditions and Events.
 */
export function ticketEventReconciler(deps: ReconcilerDeps): (key: string) => Promise<ReconcileResult> {
  const custom = deps.kubeConfig.makeApiClient(CustomObjectsApi);
  const now = deps.now ?? (() => new Date());
  const record = eventRecorder(deps.kubeConfig, deps.logger);
  const keda = kedaDiscovery(deps.kubeConfig, deps.config.KEDA_API_VERSION);
  const applyChildren = childrenApplier(deps.kubeConfig, deps.config);
  const removeChildren = childrenRemover(deps.kubeConfig, deps.config, keda);
  const finalize = finalizer({ ...deps, record, now, removeChildren });
  const ref = (namespace: string, name: string) => ({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace,
    name,
  });

  const read = async (namespace: string, name: string): Promise<TicketEvent | undefined> => {
    try {
      return (await custom.getNamespacedCustomObject(ref(namespace, name))) as TicketEvent;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };

  const addFinalizer = async (event: TicketEvent): Promise<TicketEvent> =>
    (await custom.patchNamespacedCustomObject(
      {
        ...ref(event.metadata.namespace, event.metadata.name),
        body: {
          metadata: {
            finalizers: [...(event.metadata.finalizers ?? []), FINALIZER],
            resourceVersion: event.metadata.resourceVersion,
          },
        },
      },
      mergePatch,
    )) as TicketEvent;

  /** Topic and shard rows through the purchase path's provisioning module. */
  const provision = async (
    event: TicketEvent,
  ): Promise<{ topic: ChildState; inventory: ChildState; retryable?: unknown }> => {
    const refused = standingRefusal(event.status?.conditions, event.metadata.generation);
    if (refused)
      return {
        topic: { ready: true, reason: Reason.Provisioned, message: 'topic exists' },
        inventory: { ready: false, ...refused },
      };
    try {
      await provisionEvent(deps.provision, toEventDefinition(event));
      return {
        topic: { ready: true, reason: Reason.Provisioned, message: `${event.spec.shards} partitions` },
        inventory: { ready: true, reason: Reason.Provisioned, message: 'shard rows match the spec' },
      };
    } catch (error) {
      const terminal = asTerminal(error) ?? removalRefused(error);
      const message = errorMessage(error);
      if (!terminal) {
        const failed = { ready: false, reason: Reason.ProvisioningFailed, message };
        return { topic: failed, inventory: failed, retryable: error };
      }
      // Refused until the spec changes: report it and keep selling what exists.
      await record(event, 'Warning', terminal.reason, terminal.message);
      return {
        topic: { ready: true, reason: Reason.Provisioned, message: 'topic exists' },
        inventory: { ready: false, reason: terminal.reason, message: terminal.message },
      };
    }
  };

  const converge = async (event: TicketEvent): Promise<ReconcileResult> => {
    const { namespace, name } = event.metadata;
    const provisioned = await provision(event);
    const children = await applyChildren(event, await keda.installed());
    const counters = await eventCounters(deps.provision.pool, event.metadata);
    const at = now();
    const status = desiredStatus(event, {
      now: at,
      generation: event.metadata.generation ?? 0,
      ...provisioned,
      ...children,
      counters,
    });
    if (statusChanged(event.status, status)) {
      await custom.patchNamespacedCustomObjectStatus(
        { ...ref(namespace, name), body: { status } },
        mergePatch,
      );
      if (status.phase !== event.status?.phase)
        await record(
          event,
          status.phase === 'Failed' ? 'Warning' : 'Normal',
          `Phase${status.phase}`,
          `phase ${event.status?.phase ?? '(none)'} → ${status.phase}`,
        );
      deps.logger.info(
        { ticketEvent: `${namespace}/${name}`, phase: status.phase, ready: status.ready },
        'status updated',
      );
    }
    if (provisioned.retryable) throw provisioned.retryable;
    const after = requeueAfterMs(event, status, at, deps.config.RESYNC_SECONDS);
    return after === undefined ? undefined : { requeueAfterMs: after };
  };

  return async (key) => {
    const [namespace, name] = key.split('/') as [string, string];
    let event = await read(namespace, name);
    // Gone (its finalizer removed by hand, or deleted while no operator ran, or the finalizer gave up
    // on its allocator): no ownerReference reaches the platform's namespace, so delete what is left.
    // Informers enqueue every child's event at start, which makes this the orphan sweep.
    if (!event) {
      if (await removeChildren({ namespace, name }))
        deps.logger.info(
          { ticketEvent: key },
          'deleted the allocator of a TicketEvent that no longer exists',
        );
      return;
    }
    if (event.metadata.deletionTimestamp) return finalize(event);
    try {
      if (!event.metadata.finalizers?.includes(FINALIZER)) event = await addFinalizer(event);
      return await converge(event);
    } catch (error) {
      const terminal = asTerminal(error);
      // A conflict only means the object moved on: the retry reads it afresh, nothing to report.
      if (!isConflict(error))
        await record(
          event,
          'Warning',
          terminal?.reason ?? 'ReconcileFailed',
          terminal?.message ?? errorMessage(error),
        );
      throw terminal ?? error;
    }
  };
}

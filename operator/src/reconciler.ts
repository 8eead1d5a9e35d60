import type { Logger } from '@boxoffice/platform/logger';
import { eventCounters, provisionEvent, TicketTypeInUseError, type ProvisionDeps } from '@boxoffice/store';
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
  type V1Deployment,
} from '@kubernetes/client-node';
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
import {
  FINALIZER,
  GROUP,
  PLURAL,
  toEventDefinition,
  VERSION,
  type TicketEvent,
  type TicketEventStatus,
} from './ticket-event.ts';
import type { ReconcileResult } from './work-queue.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Removing a ticket type that has held or sold tickets waits for a spec that keeps it. */
const removalRefused = (error: unknown): TerminalError | undefined =>
  error instanceof TicketTypeInUseError
    ? new TerminalError(Reason.TicketTypeInUse, error.message, { cause: error })
    : undefined;

/** The controller's informer caches: what the API server last told the watches. */
export interface InformerCache {
  ticketEvent(namespace: string, name: string): TicketEvent | undefined;
  /** The allocator Deployment / ScaledObject of that name in the platform's namespace. */
  deployment(name: string): KubernetesObject | undefined;
  scaledObject(name: string): KubernetesObject | undefined;
  /** The stored child an apply answered with: its watch echo need not queue the event again. */
  applied(kind: 'deployments' | 'scaledobjects', object: KubernetesObject): void;
}

export interface ReconcilerDeps {
  kubeConfig: KubeConfig;
  provision: ProvisionDeps;
  config: OperatorConfig;
  logger: Logger;
  now?: () => Date;
  /** Without one, every reconcile reads its TicketEvent from the API server and applies every child. */
  cache?: InformerCache;
  /** How long each step of a converging reconcile took (metrics: where the time of a reconcile goes). */
  onStep?: (step: ReconcileStep, seconds: number) => void;
}

export type ReconcileStep = 'provision' | 'children' | 'counters' | 'status';

/**
 * Level-triggered reconcile of one TicketEvent by key: reads actual state and converges, so it is
 * safe to run any time and as often as wanted; a run that finds nothing to change writes nothing
 * (and, with the informer cache, sends no Kubernetes request at all).
 * Retryable errors propagate to the queue (backoff); terminal ones become conditions and Events.
 */
export function ticketEventReconciler(deps: ReconcilerDeps): (key: string) => Promise<ReconcileResult> {
  const custom = deps.kubeConfig.makeApiClient(CustomObjectsApi);
  const now = deps.now ?? (() => new Date());
  const record = eventRecorder(deps.kubeConfig, deps.logger);
  const keda = kedaDiscovery(deps.kubeConfig, deps.config.KEDA_API_VERSION);
  const { cache } = deps;
  const applyChildren = childrenApplier(
    deps.kubeConfig,
    deps.config,
    cache && {
      deployment: (name) => cache.deployment(name) as V1Deployment | undefined,
      scaledObject: (name) => cache.scaledObject(name),
      applied: (kind, object) => cache.applied(kind, object),
    },
  );
  /**
   * The status this process last wrote per key: the cache may not show it yet, and a status equal
   * to the stale cached one but not to the stored one must still be written.
   */
  const written = new Map<string, TicketEventStatus>();
  const removeChildren = childrenRemover(deps.kubeConfig, deps.config, keda);
  const finalize = finalizer({ ...deps, record, now, removeChildren });
  const ref = (namespace: string, name: string) => ({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace,
    name,
  });

  /**
   * From the informer's cache: it is at least as new as the change that queued this key. Not in the
   * cache is confirmed with the API server, because "gone" deletes the allocator (a cache that has
   * not listed yet must never do that).
   */
  const read = async (namespace: string, name: string): Promise<TicketEvent | undefined> => {
    const cached = deps.cache?.ticketEvent(namespace, name);
    if (cached) return cached;
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

  const timed = async <T>(step: ReconcileStep, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      deps.onStep?.(step, (performance.now() - started) / 1000);
    }
  };

  const converge = async (event: TicketEvent): Promise<ReconcileResult> => {
    const { namespace, name } = event.metadata;
    // The topic and shard rows first (an allocator must find them); its children and the counters
    // (which read those rows) then at once.
    const provisioned = await timed('provision', () => provision(event));
    const [children, counters] = await Promise.all([
      timed('children', async () => applyChildren(event, await keda.installed())),
      timed('counters', () => eventCounters(deps.provision.pool, event.metadata)),
    ]);
    const at = now();
    const status = desiredStatus(event, {
      now: at,
      generation: event.metadata.generation ?? 0,
      ...provisioned,
      ...children,
      counters,
    });
    const key = `${namespace}/${name}`;
    const last = written.get(key);
    if (statusChanged(event.status, status) || (last !== undefined && statusChanged(last, status))) {
      // The phase's Event goes beside the status write, not after it: one round trip, not two
      // (recording never fails a reconcile).
      await Promise.all([
        timed('status', () =>
          custom.patchNamespacedCustomObjectStatus({ ...ref(namespace, name), body: { status } }, mergePatch),
        ),
        status.phase !== event.status?.phase &&
          record(
            event,
            status.phase === 'Failed' ? 'Warning' : 'Normal',
            `Phase${status.phase}`,
            `phase ${event.status?.phase ?? '(none)'} → ${status.phase}`,
          ),
      ]);
      written.set(key, status);
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
    if (!event || event.metadata.deletionTimestamp) written.delete(key);
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

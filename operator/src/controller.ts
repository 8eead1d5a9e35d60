import type { Logger } from '@boxoffice/platform/logger';
import type { ProvisionDeps } from '@boxoffice/store';
import {
  AppsV1Api,
  CustomObjectsApi,
  makeInformer,
  type Informer,
  type ObjectCache,
  type KubeConfig,
  type KubernetesObject,
  type KubernetesListObject,
} from '@kubernetes/client-node';
import {
  ChangeFilter,
  deploymentSignature,
  scaledObjectSignature,
  lacksFinalizer,
  ticketEventSignature,
} from './change-filter.ts';
import { allocatorNamespace, type OperatorConfig } from './config.ts';
import { EVENT_NAMESPACE_LABEL, eventOfChild } from './desired/index.ts';
import { errorMessage } from './errors.ts';
import { kedaDiscovery } from './keda.ts';
import { ticketEventReconciler, type InformerCache, type ReconcileStep } from './reconciler.ts';
import { FIELD_MANAGER, GROUP, PLURAL, VERSION, type TicketEvent } from './ticket-event.ts';
import { WorkQueue } from './work-queue.ts';

export interface Controller {
  queue: WorkQueue;
  /** The TicketEvents in the informer's cache (metrics). */
  ticketEvents(): TicketEvent[];
  stop(): Promise<void>;
}

type List = () => Promise<KubernetesListObject<KubernetesObject>>;

/** The TicketEvent a child belongs to, from its labels (no ownerReference crosses namespaces). */
function eventKey(child: KubernetesObject): string | undefined {
  const event = eventOfChild(child.metadata?.labels);
  return event ? `${event.namespace}/${event.name}` : undefined;
}

/**
 * Informers on TicketEvents and on the Deployments and ScaledObjects the operator writes into the
 * platform's namespace. They only enqueue the TicketEvent's `namespace/name`: what changed does not
 * matter, the reconcile reads the actual state (so the first list of children, at every start,
 * enqueues each child's event, and a child whose event is gone is deleted). Updates that cannot
 * change a reconcile (the operator's own status writes, replica counters) enqueue nothing
 * (change-filter.ts). The reconcile reads these informers' caches, not the API server. The informer
 * relists by itself after 410 Gone; a watch that fails is restarted here with backoff.
 */
export async function startController(deps: {
  kubeConfig: KubeConfig;
  provision: ProvisionDeps;
  config: OperatorConfig;
  logger: Logger;
  onResult?: (result: 'success' | 'error' | 'terminal', seconds: number) => void;
  onError?: (error: unknown) => void;
  onStep?: (step: ReconcileStep, seconds: number) => void;
}): Promise<Controller> {
  const { config, logger } = deps;
  // Filled below, before the first key is queued (informers enqueue only once they listed).
  const caches = new Map<string, ObjectCache<KubernetesObject>>();
  const filters = {
    ticketevents: new ChangeFilter(ticketEventSignature, lacksFinalizer),
    deployments: new ChangeFilter(deploymentSignature),
    scaledobjects: new ChangeFilter(scaledObjectSignature),
  };
  const childNamespace = allocatorNamespace(config);
  const cache: InformerCache = {
    ticketEvent: (namespace, name) =>
      caches.get('ticketevents')?.get(name, namespace) as TicketEvent | undefined,
    deployment: (name) => caches.get('deployments')?.get(name, childNamespace),
    scaledObject: (name) => caches.get('scaledobjects')?.get(name, childNamespace),
    applied: (kind, object) => filters[kind].remember(object),
  };
  const reconcile = ticketEventReconciler({ ...deps, cache });
  const queue = new WorkQueue({
    concurrency: config.RECONCILE_CONCURRENCY,
    ratePerSecond: config.RECONCILE_RATE_PER_SECOND,
    burst: config.RECONCILE_BURST,
    reconcile,
    onResult: (_key, result, seconds) => deps.onResult?.(result, seconds),
    onError: (key, error, retryInMs) => {
      deps.onError?.(error);
      logger.warn(
        { ticketEvent: key, err: errorMessage(error), retryInMs },
        retryInMs === undefined ? 'reconcile refused; waiting for a change' : 'reconcile failed; retrying',
      );
    },
  });
  const custom = deps.kubeConfig.makeApiClient(CustomObjectsApi);
  const apps = deps.kubeConfig.makeApiClient(AppsV1Api);
  const ns = config.WATCH_NAMESPACE;
  const scope = ns ? `/namespaces/${ns}` : '';
  // With WATCH_NAMESPACE, only the children of its events: another operator's are not orphans.
  const selector = [
    `app.kubernetes.io/managed-by=${FIELD_MANAGER}`,
    ...(ns ? [`${EVENT_NAMESPACE_LABEL}=${ns}`] : []),
  ].join(',');
  const [kedaGroup, kedaVersion] = config.KEDA_API_VERSION.split('/') as [string, string];

  const sources: {
    name: string;
    path: string;
    list: List;
    selector?: string;
    enqueue: (o: KubernetesObject) => string | undefined;
    filter: ChangeFilter;
  }[] = [
    {
      name: 'ticketevents',
      path: `/apis/${GROUP}/${VERSION}${scope}/${PLURAL}`,
      list: (() =>
        ns
          ? custom.listNamespacedCustomObject({
              group: GROUP,
              version: VERSION,
              namespace: ns,
              plural: PLURAL,
            })
          : custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as List,
      enqueue: (o) => `${o.metadata?.namespace}/${o.metadata?.name}`,
      filter: filters.ticketevents,
    },
    {
      name: 'deployments',
      path: `/apis/apps/v1/namespaces/${childNamespace}/deployments`,
      list: (() =>
        apps.listNamespacedDeployment({ namespace: childNamespace, labelSelector: selector })) as List,
      selector,
      enqueue: eventKey,
      filter: filters.deployments,
    },
  ];
  // Without KEDA there is nothing to watch (the list would 404 forever).
  if (await kedaDiscovery(deps.kubeConfig, config.KEDA_API_VERSION).installed()) {
    const plural = 'scaledobjects';
    sources.push({
      name: plural,
      path: `/apis/${kedaGroup}/${kedaVersion}/namespaces/${childNamespace}/${plural}`,
      list: (() =>
        custom.listNamespacedCustomObject({
          group: kedaGroup,
          version: kedaVersion,
          namespace: childNamespace,
          plural,
          labelSelector: selector,
        })) as List,
      selector,
      enqueue: eventKey,
      filter: filters.scaledobjects,
    });
  }

  let stopped = false;
  const informers: (Informer<KubernetesObject> & ObjectCache<KubernetesObject>)[] = [];
  for (const source of sources) {
    const informer = makeInformer<KubernetesObject>(
      deps.kubeConfig,
      source.path,
      source.list,
      source.selector,
    );
    const enqueue = (object: KubernetesObject): void => {
      const key = source.enqueue(object);
      if (key) queue.add(key);
    };
    let restartDelayMs = 1_000;
    // Objects arriving prove the watch works again; 'connect' does not (it fires before the list).
    const changed = (object: KubernetesObject): void => {
      restartDelayMs = 1_000;
      if (source.filter.matters(object)) enqueue(object);
    };
    informer.on('add', changed);
    informer.on('update', changed);
    informer.on('delete', (object) => {
      restartDelayMs = 1_000;
      source.filter.forget(object);
      enqueue(object);
    });
    informer.on('error', (error: unknown) => {
      if (stopped) return; // stop() aborts the watch, which reports an AbortError
      logger.warn(
        { informer: source.name, err: errorMessage(error), restartInMs: restartDelayMs },
        'watch failed; restarting',
      );
      const timer = setTimeout(() => {
        if (!stopped) void informer.start().catch(() => undefined);
      }, restartDelayMs);
      timer.unref();
      restartDelayMs = Math.min(30_000, restartDelayMs * 2);
    });
    informers.push(informer);
    caches.set(source.name, informer);
  }
  for (const informer of informers) await informer.start();
  logger.info(
    { watching: sources.map((s) => s.name), namespace: ns ?? '(all)', allocatorNamespace: childNamespace },
    'controller started',
  );
  return {
    queue,
    // sources[0], so informers[0], watches the TicketEvents.
    ticketEvents: () => informers[0]!.list() as unknown as TicketEvent[],
    async stop() {
      stopped = true;
      for (const informer of informers) await informer.stop();
      await queue.stop();
    },
  };
}

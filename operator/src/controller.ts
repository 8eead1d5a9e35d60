import type { Logger } from '@boxoffice/platform/logger';
import type { ProvisionDeps } from '@boxoffice/store';
import {
  AppsV1Api,
  CustomObjectsApi,
  makeInformer,
  type KubeConfig,
  type KubernetesObject,
  type V1Deployment,
} from '@kubernetes/client-node';
import type { OperatorConfig } from './config.ts';
import { ticketEventReconciler } from './reconciler.ts';
import { FIELD_MANAGER, GROUP, PLURAL, VERSION } from './ticket-event.ts';
import { WorkQueue } from './work-queue.ts';

export interface Controller {
  queue: WorkQueue;
  stop(): Promise<void>;
}

/**
 * Informers on TicketEvents and the Deployments the operator owns; both only enqueue the
 * TicketEvent's `namespace/name`. Watches that end are restarted (the informer relists on 410).
 */
export async function startController(deps: {
  kubeConfig: KubeConfig;
  provision: ProvisionDeps;
  config: OperatorConfig;
  logger: Logger;
  onReconcile?: (result: string, seconds: number) => void;
}): Promise<Controller> {
  const reconcile = ticketEventReconciler(deps);
  const queue = new WorkQueue({
    concurrency: deps.config.RECONCILE_CONCURRENCY,
    reconcile: async (key) => {
      const started = performance.now();
      try {
        const result = await reconcile(key);
        deps.onReconcile?.('success', (performance.now() - started) / 1000);
        return result;
      } catch (error) {
        deps.onReconcile?.('error', (performance.now() - started) / 1000);
        throw error;
      }
    },
    onError: (key, error, retryInMs) =>
      deps.logger.warn({ ticketEvent: key, err: error, retryInMs }, 'reconcile failed; retrying'),
  });
  const custom = deps.kubeConfig.makeApiClient(CustomObjectsApi);
  const apps = deps.kubeConfig.makeApiClient(AppsV1Api);

  const events = makeInformer<KubernetesObject>(
    deps.kubeConfig,
    `/apis/${GROUP}/${VERSION}/${PLURAL}`,
    () => custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL }) as never,
  );
  const selector = `app.kubernetes.io/managed-by=${FIELD_MANAGER}`;
  const deployments = makeInformer<V1Deployment>(
    deps.kubeConfig,
    '/apis/apps/v1/deployments',
    () => apps.listDeploymentForAllNamespaces({ labelSelector: selector }),
    selector,
  );

  const enqueueEvent = (object: KubernetesObject): void =>
    queue.add(`${object.metadata?.namespace}/${object.metadata?.name}`);
  const enqueueOwner = (deployment: V1Deployment): void => {
    const owner = deployment.metadata?.labels?.['boxoffice.dev/event'];
    if (owner) queue.add(`${deployment.metadata?.namespace}/${owner}`);
  };
  for (const [informer, handler] of [
    [events, enqueueEvent],
    [deployments, enqueueOwner],
  ] as const) {
    informer.on('add', handler as never);
    informer.on('update', handler as never);
    informer.on('delete', handler as never);
    informer.on('error', (error: unknown) => {
      deps.logger.warn({ err: error }, 'watch ended with an error; restarting');
      setTimeout(() => void informer.start().catch(() => undefined), 1_000);
    });
  }
  await events.start();
  await deployments.start();
  return {
    queue,
    async stop() {
      await events.stop();
      await deployments.stop();
      await queue.stop();
    },
  };
}

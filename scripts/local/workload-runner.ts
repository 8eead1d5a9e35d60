import { mkdirSync } from 'node:fs';
import { CoreV1Api, KubeConfig, makeInformer, type Informer, type V1Pod } from '@kubernetes/client-node';
import { HostPorts } from './host-ports.ts';
import type { EnvSources } from './pod-env.ts';
import { PodWorker, type LocalPod, type LogLevel } from './pod-worker.ts';
import type { PodRuntime } from './runtime.ts';

/**
 * The local stand-in for the kubelet. KWOK plays the node (pods are scheduled and reported
 * Running) but runs nothing; this runner runs every scheduled boxoffice pod from its spec — the
 * operator, purchase-api, query-api and each event's allocator — with one of two runtimes: Node.js
 * processes of the checkout (`npm start`) or podman containers of the built image (the end-to-end
 * test). It projects service account tokens, runs the probes and reports readiness to the pod's
 * status, restarts what exits, and stops a pod's processes when the pod goes away.
 */
export const BOXOFFICE_PODS = 'app.kubernetes.io/part-of=boxoffice';

export interface WorkloadRunnerOptions {
  kubeconfig: string;
  runtime: PodRuntime;
  logDir: string;
  /** Per-pod files (service account tokens); private to this user. */
  workDir: string;
  log: (line: string, level: LogLevel) => void;
  /** Run only the pods of these namespaces (parallel test suites share a cluster); default: all. */
  namespaces?: string[];
  selector?: string;
}

export interface WorkloadRunner {
  /** The pods it runs, with where their ports listen on this machine. */
  pods(): LocalPod[];
  stop(): Promise<void>;
}

export async function startWorkloadRunner(options: WorkloadRunnerOptions): Promise<WorkloadRunner> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(options.kubeconfig);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  mkdirSync(options.logDir, { recursive: true });
  mkdirSync(options.workDir, { recursive: true, mode: 0o700 });
  const selector = options.selector ?? BOXOFFICE_PODS;
  const workers = new Map<string, PodWorker>();
  const stopping = new Set<Promise<void>>();
  const deps = {
    core,
    kubeConfig,
    runtime: options.runtime,
    ports: new HostPorts(),
    sources: apiSources(core),
    logDir: options.logDir,
    workDir: options.workDir,
    log: options.log,
  };
  let stopped = false;

  const uid = (pod: V1Pod): string => pod.metadata!.uid!;
  // Scheduled (to the KWOK node) and not being deleted.
  const runnable = (pod: V1Pod): boolean => Boolean(pod.spec?.nodeName) && !pod.metadata?.deletionTimestamp;
  const stopWorker = (id: string, hooks = true): void => {
    const worker = workers.get(id);
    if (!worker) return;
    workers.delete(id);
    const done = worker.stop(hooks).finally(() => stopping.delete(done));
    stopping.add(done);
  };
  const onPod = (pod: V1Pod): void => {
    if (stopped) return;
    const id = uid(pod);
    if (!runnable(pod)) return stopWorker(id);
    const existing = workers.get(id);
    if (existing) return existing.update(pod);
    const worker = new PodWorker(pod, deps);
    workers.set(id, worker);
    worker.start();
  };

  const informers: Informer<V1Pod>[] = (options.namespaces ?? [undefined]).map((namespace) =>
    namespace
      ? makeInformer(
          kubeConfig,
          `/api/v1/namespaces/${namespace}/pods`,
          () => core.listNamespacedPod({ namespace, labelSelector: selector }),
          selector,
        )
      : makeInformer(
          kubeConfig,
          '/api/v1/pods',
          () => core.listPodForAllNamespaces({ labelSelector: selector }),
          selector,
        ),
  );
  for (const informer of informers) {
    informer.on('add', onPod);
    informer.on('update', onPod);
    informer.on('delete', (pod) => stopWorker(uid(pod)));
    // A watch that ends or fails is restarted (the informer relists on 410 Gone).
    informer.on('error', () => {
      if (!stopped) setTimeout(() => void informer.start().catch(() => undefined), 1_000);
    });
  }
  await Promise.all(informers.map((informer) => informer.start()));

  return {
    pods: () => [...workers.values()].map((worker) => worker.snapshot()),
    async stop() {
      stopped = true;
      await Promise.all(informers.map((informer) => informer.stop()));
      for (const id of [...workers.keys()]) stopWorker(id, false);
      await Promise.all(stopping);
    },
  };
}

/** Secrets and ConfigMaps as the kubelet reads them: through the API; absent is not an error. */
function apiSources(core: CoreV1Api): EnvSources {
  const absentOn404 = <T>(read: Promise<T>): Promise<T | undefined> =>
    read.catch((error: { code?: number }) => {
      if (error.code === 404) return undefined;
      throw error;
    });
  return {
    async secret(namespace, name) {
      const secret = await absentOn404(core.readNamespacedSecret({ name, namespace }));
      if (!secret) return undefined;
      return Object.fromEntries(
        Object.entries(secret.data ?? {}).map(([key, value]) => [
          key,
          Buffer.from(value, 'base64').toString('utf8'),
        ]),
      );
    },
    async configMap(namespace, name) {
      const map = await absentOn404(core.readNamespacedConfigMap({ name, namespace }));
      return map ? { ...map.data } : undefined;
    },
  };
}

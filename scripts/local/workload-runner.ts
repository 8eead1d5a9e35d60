import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, makeInformer, type V1EnvVar, type V1Pod } from '@kubernetes/client-node';
import { repoRoot } from '../deps/paths.ts';

/**
 * The local stand-in for the kubelet. KWOK reports pods Running without running anything; for the
 * purchase path to really flow locally, this runner starts one Node.js process per allocator pod
 * the control plane schedules (with that pod's environment) and stops it when the pod goes away.
 * In a cluster, the allocator image's container does this job.
 */
export const ALLOCATOR_SELECTOR = 'app.kubernetes.io/part-of=boxoffice,app.kubernetes.io/component=allocator';
const entrypoint = join(repoRoot, 'services', 'allocator', 'src', 'main.ts');

export interface WorkloadRunner {
  running(): string[];
  stop(): Promise<void>;
}

export async function startWorkloadRunner(options: {
  kubeconfig: string;
  logDir: string;
  log: (line: string) => void;
  /** Only this namespace's allocator pods (a test's); unset: every namespace. */
  namespace?: string;
}): Promise<WorkloadRunner> {
  const config = new KubeConfig();
  config.loadFromFile(options.kubeconfig);
  const core = config.makeApiClient(CoreV1Api);
  const processes = new Map<string, ChildProcess>();
  const pods = new Map<string, V1Pod>();
  let stopping = false;
  const key = (pod: V1Pod): string => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

  const resolveEnv = async (pod: V1Pod, vars: V1EnvVar[]): Promise<Record<string, string>> => {
    const env: Record<string, string> = {};
    const namespace = pod.metadata!.namespace!;
    for (const v of vars) {
      if (v.value !== undefined) env[v.name] = v.value;
      else if (v.valueFrom?.secretKeyRef) {
        const secret = await core.readNamespacedSecret({ name: v.valueFrom.secretKeyRef.name!, namespace });
        const data = secret.data?.[v.valueFrom.secretKeyRef.key];
        if (data !== undefined) env[v.name] = Buffer.from(data, 'base64').toString();
      } else if (v.valueFrom?.configMapKeyRef) {
        const map = await core.readNamespacedConfigMap({
          name: v.valueFrom.configMapKeyRef.name!,
          namespace,
        });
        const data = map.data?.[v.valueFrom.configMapKeyRef.key];
        if (data !== undefined) env[v.name] = data;
      } else if (v.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[v.name] = pod.metadata!.name!;
      else if (v.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[v.name] = namespace;
    }
    return env;
  };

  const start = async (pod: V1Pod): Promise<void> => {
    const id = key(pod);
    if (stopping || (pods.size > 0 && !pods.has(id))) return;
    if (processes.has(id) || pod.metadata?.deletionTimestamp || pod.status?.phase !== 'Running') return;
    const container = pod.spec?.containers[0];
    if (!container) return;
    const env = await resolveEnv(pod, container.env ?? []);
    if (processes.has(id)) return;
    const log = createWriteStream(
      join(options.logDir, `allocator-${pod.metadata!.namespace}-${pod.metadata!.name}.log`),
      { flags: 'a' },
    );
    // PORT 0: several local "pods" share one host network.
    const child = spawn(process.execPath, [entrypoint], {
      env: { ...process.env, ...env, PORT: '0', OTEL_SDK_DISABLED: process.env.OTEL_SDK_DISABLED ?? 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    processes.set(id, child);
    options.log(`started allocator for pod ${id} (pid ${child.pid})`);
    child.on('exit', (code, signal) => {
      processes.delete(id);
      options.log(`allocator for pod ${id} exited (${signal ?? code})`);
      // Like a kubelet with restartPolicy Always: a crashed process restarts while its pod lives.
      if (code !== 0 && signal !== 'SIGTERM' && !stopping)
        setTimeout(() => void start(pod).catch(() => undefined), 2_000);
    });
  };

  const stopPod = (id: string): void => {
    processes.get(id)?.kill('SIGTERM');
  };

  const { namespace } = options;
  const informer = makeInformer(
    config,
    namespace ? `/api/v1/namespaces/${namespace}/pods` : '/api/v1/pods',
    () =>
      namespace
        ? core.listNamespacedPod({ namespace, labelSelector: ALLOCATOR_SELECTOR })
        : core.listPodForAllNamespaces({ labelSelector: ALLOCATOR_SELECTOR }),
    ALLOCATOR_SELECTOR,
  );
  const onPod = (pod: V1Pod): void => {
    pods.set(key(pod), pod);
    if (pod.metadata?.deletionTimestamp || pod.status?.phase !== 'Running') stopPod(key(pod));
    else
      void start(pod).catch((error: Error) =>
        options.log(`could not start allocator for ${key(pod)}: ${error.message}`),
      );
  };
  informer.on('add', onPod);
  informer.on('update', onPod);
  informer.on('delete', (pod) => {
    pods.delete(key(pod));
    stopPod(key(pod));
  });
  // A watch that ends or fails is restarted (the informer relists on 410 Gone).
  informer.on('error', () => setTimeout(() => void informer.start().catch(() => undefined), 1_000));
  await informer.start();

  return {
    running: () => [...processes.keys()],
    async stop() {
      stopping = true;
      await informer.stop();
      const exits = [...processes.values()].map(
        (child) => new Promise((resolve) => child.once('exit', resolve)),
      );
      for (const child of processes.values()) child.kill('SIGTERM');
      await Promise.all(exits);
    },
  };
}

import {
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Api,
  type V1ContainerStatus,
  type V1Pod,
} from '@kubernetes/client-node';

/**
 * The readiness of the pods the kubelet stand-in runs, written as a kubelet writes it: the Ready
 * and ContainersReady conditions and each container's state, Ready only once its readiness probe
 * passes. So a Deployment counts a replica available, a Service routes to it, and `helm install
 * --wait`, `kubectl rollout status` or the operator's AllocatorReady wait, for a process that
 * answers.
 *
 * KWOK reports every scheduled pod Running (tools/kwok/stages.yaml), and Ready at once unless it
 * carries the annotation local.boxoffice.dev/readiness: runner (the chart's pods under `npm start`
 * and in the end-to-end test), and leaves it alone after that; the runner reports it not ready as
 * soon as it sees it, and corrects any status that disagrees with what runs. Phase and IPs stay KWOK's.
 */
export interface ContainerReport {
  name: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  /** When the running process started. */
  startedAt?: Date;
  /** Why it is not running, when it is not (CreateContainerConfigError, CrashLoopBackOff…). */
  waiting?: { reason: string; message: string };
}

const strategicMerge = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

const patchStatus = (core: CoreV1Api, pod: V1Pod, status: Record<string, unknown>) =>
  core.patchNamespacedPodStatus(
    { name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, body: { status } },
    strategicMerge,
  );

/** The API server's message of a failed request (client-node's errors carry the whole response). */
export function apiMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  try {
    const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string } | undefined;
    if (parsed?.message) return parsed.message;
  } catch {
    // not JSON: the error's own message
  }
  return (error as Error).message.split('\n')[0]!;
}

/** Whether the pod's status says ready (what the Deployment and the Service go by). */
export function reportedReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

export async function reportPodStatus(
  core: CoreV1Api,
  pod: V1Pod,
  containers: ContainerReport[],
): Promise<void> {
  const ready = podReady(containers);
  const now = new Date();
  const condition = (type: string, status: boolean, reason?: string, message?: string) => {
    const previous = pod.status?.conditions?.find((c) => c.type === type);
    const value = status ? 'True' : 'False';
    return {
      type,
      status: value,
      ...(status ? {} : { reason, message }),
      lastTransitionTime: previous?.status === value ? previous.lastTransitionTime : now,
    };
  };
  const notReady = `containers with unready status: [${containers
    .filter((c) => !c.ready)
    .map((c) => c.name)
    .join(' ')}]`;
  const previousStatuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  // containerStatuses is replaced as a whole by a patch: each entry is written complete.
  const containerStatuses: V1ContainerStatus[] = containers.map((report) => {
    const previous = previousStatuses.get(report.name);
    const spec = pod.spec?.containers.find((c) => c.name === report.name);
    return {
      name: report.name,
      image: previous?.image ?? spec?.image ?? '',
      imageID: previous?.imageID ?? '',
      ready: report.ready,
      started: report.started,
      restartCount: report.restartCount,
      state: report.waiting
        ? { waiting: report.waiting }
        : { running: { startedAt: report.startedAt ?? now } },
    };
  });
  await patchStatus(core, pod, {
    conditions: [
      condition('Initialized', true),
      condition('ContainersReady', ready, 'ContainersNotReady', notReady),
      condition('Ready', ready, 'ContainersNotReady', notReady),
    ],
    containerStatuses,
  });
}

export function podReady(containers: ContainerReport[]): boolean {
  return containers.length > 0 && containers.every((c) => c.ready);
}

import type { CoreV1Api } from '@kubernetes/client-node';
import type { LocalPod } from './pod-worker.ts';

/**
 * What kube-proxy would do for a Service, on this machine: its port (by number or name) → the
 * target port of each ready pod it selects → the host port that container port listens on. So
 * a request "to the Service" goes to a process the local runner runs.
 */
export async function serviceEndpoints(
  core: CoreV1Api,
  pods: LocalPod[],
  service: { namespace: string; name: string; port: number | string },
): Promise<string[]> {
  const object = await core.readNamespacedService({ name: service.name, namespace: service.namespace });
  const port = object.spec?.ports?.find((p) =>
    typeof service.port === 'number' ? p.port === service.port : p.name === service.port,
  );
  if (!port) throw new Error(`Service ${service.namespace}/${service.name} has no port ${service.port}`);
  const selector = object.spec?.selector ?? {};
  const target = port.targetPort ?? port.port;
  return pods
    .filter(
      (pod) =>
        pod.ready &&
        pod.namespace === service.namespace &&
        Object.keys(selector).length > 0 &&
        Object.entries(selector).every(([key, value]) => pod.labels[key] === value),
    )
    .flatMap((pod) =>
      pod.ports
        .filter((p) =>
          typeof target === 'number' || /^\d+$/.test(target)
            ? p.containerPort === Number(target)
            : p.name === target,
        )
        .map((p) => `http://127.0.0.1:${p.hostPort}`),
    );
}

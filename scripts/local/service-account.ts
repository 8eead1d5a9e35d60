import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';

/**
 * The service account token the kubelet projects into a pod: a TokenRequest bound to the pod (it
 * stops working when the pod is deleted), the cluster's CA and the namespace, as the files of
 * /var/run/secrets/kubernetes.io/serviceaccount, refreshed at 80% of its lifetime. So the
 * operator's pod talks to the API server as its ServiceAccount, with exactly the chart's RBAC.
 * Local processes cannot have that path, so they get a kubeconfig next to the files that reads the
 * token file the same way (client-node's `tokenFile` auth provider re-reads it every minute).
 */
const EXPIRATION_SECONDS = 3607;

export interface ServiceAccountFiles {
  /** The pod's volume these files are (mounted where its containers mount it). */
  volume: string;
  /** Holds token, ca.crt, namespace and kubeconfig. */
  dir: string;
  kubeconfig: string;
  /** The API server as the pod reaches it (KUBERNETES_SERVICE_HOST/PORT). */
  host: string;
  port: string;
  stop(): void;
}

/**
 * The service account token volume of a pod: the ServiceAccount admission plugin adds it
 * (`kube-api-access-…`, a projected volume of a token, the cluster CA and the namespace) to every
 * pod that automounts one. Undefined for a pod without (automountServiceAccountToken: false).
 */
export function tokenVolume(
  pod: V1Pod,
): { name: string; expirationSeconds: number; audience?: string } | undefined {
  for (const volume of pod.spec?.volumes ?? []) {
    const token = volume.projected?.sources?.find(
      (source) => source.serviceAccountToken,
    )?.serviceAccountToken;
    if (token)
      return {
        name: volume.name,
        expirationSeconds: token.expirationSeconds ?? EXPIRATION_SECONDS,
        ...(token.audience ? { audience: token.audience } : {}),
      };
  }
  return undefined;
}

function clusterCa(config: KubeConfig): string {
  const cluster = config.getCurrentCluster();
  if (cluster?.caData) return Buffer.from(cluster.caData, 'base64').toString('utf8');
  if (cluster?.caFile) return readFileSync(cluster.caFile, 'utf8');
  throw new Error('the kubeconfig names no CA for its cluster');
}

export async function projectServiceAccount(
  core: CoreV1Api,
  config: KubeConfig,
  pod: V1Pod,
  volume: { name: string; expirationSeconds: number; audience?: string },
  dir: string,
  onError: (error: Error) => void,
): Promise<ServiceAccountFiles> {
  const namespace = pod.metadata!.namespace!;
  const server = new URL(config.getCurrentCluster()!.server);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  // Readable by the container's non-root user; the directory is mounted read-only.
  const write = (name: string, content: string): void => {
    const path = join(dir, name);
    writeFileSync(`${path}.tmp`, content, { mode: 0o644 });
    renameSync(`${path}.tmp`, path);
  };
  const refresh = async (): Promise<number> => {
    const request = await core.createNamespacedServiceAccountToken({
      name: pod.spec?.serviceAccountName ?? 'default',
      namespace,
      body: {
        spec: {
          audiences: volume.audience ? [volume.audience] : [],
          expirationSeconds: volume.expirationSeconds,
          boundObjectRef: {
            apiVersion: 'v1',
            kind: 'Pod',
            name: pod.metadata!.name!,
            uid: pod.metadata!.uid!,
          },
        },
      },
    });
    const status = request.status;
    if (!status?.token) throw new Error('the TokenRequest returned no token');
    write('token', status.token);
    const expires = status.expirationTimestamp
      ? new Date(status.expirationTimestamp).getTime()
      : Date.now() + EXPIRATION_SECONDS * 1000;
    return Math.max(10_000, (expires - Date.now()) * 0.8);
  };
  write('ca.crt', clusterCa(config));
  write('namespace', namespace);
  let timer: NodeJS.Timeout | undefined;
  const schedule = (ms: number): void => {
    timer = setTimeout(
      () =>
        void refresh().then(schedule, (error: Error) => {
          onError(error);
          schedule(10_000);
        }),
      ms,
    );
    timer.unref();
  };
  schedule(await refresh());
  const kubeconfig = join(dir, 'kubeconfig');
  write(
    'kubeconfig',
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'local', cluster: { server: server.origin, 'certificate-authority': join(dir, 'ca.crt') } },
      ],
      users: [
        {
          name: 'pod',
          user: { 'auth-provider': { name: 'tokenFile', config: { tokenFile: join(dir, 'token') } } },
        },
      ],
      contexts: [{ name: 'pod', context: { cluster: 'local', user: 'pod', namespace } }],
      'current-context': 'pod',
    }),
  );
  return {
    volume: volume.name,
    dir,
    kubeconfig,
    host: server.hostname,
    port: server.port || '443',
    stop() {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

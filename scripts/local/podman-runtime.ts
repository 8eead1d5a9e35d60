import { spawn } from 'node:child_process';
import type { V1Container, V1Pod, V1SecurityContext } from '@kubernetes/client-node';
import { podman, RUNTIME, ULIMITS } from '../images/containers.ts';
import { removeContainer, stopContainer } from '../images/run.ts';
import type { ContainerLaunch, PodRuntime, StartedContainer } from './runtime.ts';

/**
 * Containers as podman containers of the pod's image, run with what the pod spec says: its user,
 * read-only root filesystem, capabilities and privilege escalation from the security contexts,
 * an emptyDir as a tmpfs at its mount path, the image pull policy, the service account token
 * mounted where the kubelet mounts it. Host networking, because the real dependencies listen on
 * this machine's loopback (and podman's other network modes need what this machine lacks, see
 * scripts/images/containers.ts). Resource limits are not applied: cgroup limits need a systemd
 * or cgroup delegation that this machine does not offer.
 *
 * The environment reaches podman through its own environment (`--env NAME` takes the value from
 * there), never on the command line, where every local user could read the credentials.
 */
const PULL = { Always: 'always', IfNotPresent: 'missing', Never: 'never' } as const;

export class UnsupportedPodSpec extends Error {
  override readonly name = 'UnsupportedPodSpec';
}

function securityArgs(pod: V1Pod, container: V1Container): string[] {
  const podContext = pod.spec?.securityContext;
  const own: V1SecurityContext = container.securityContext ?? {};
  const user = own.runAsUser ?? podContext?.runAsUser;
  const group = own.runAsGroup ?? podContext?.runAsGroup;
  const args: string[] = [];
  if (user !== undefined) args.push(`--user=${user}${group === undefined ? '' : `:${group}`}`);
  if (own.readOnlyRootFilesystem) args.push('--read-only', '--read-only-tmpfs=false');
  for (const capability of own.capabilities?.drop ?? []) args.push(`--cap-drop=${capability}`);
  for (const capability of own.capabilities?.add ?? []) args.push(`--cap-add=${capability}`);
  if (own.allowPrivilegeEscalation === false) args.push('--security-opt=no-new-privileges');
  if (own.privileged) args.push('--privileged');
  return args;
}

const UNITS: Record<string, number> = {
  '': 1,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
};

/** A Kubernetes quantity such as 64Mi, in bytes. */
export function bytes(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity);
  if (!match)
    throw new UnsupportedPodSpec(
      `emptyDir sizeLimit ${quantity}: expected a whole number of bytes, K, M, G, Ki, Mi or Gi`,
    );
  return Number(match[1]) * UNITS[match[2] ?? '']!;
}

/**
 * Each volume the container mounts: an emptyDir as a tmpfs (its sizeLimit as the size), the
 * service account token volume as the directory of projected files (read-only).
 */
function volumeArgs(launch: ContainerLaunch): string[] {
  const { pod, container, serviceAccount } = launch;
  return (container.volumeMounts ?? []).map((mount) => {
    if (serviceAccount && mount.name === serviceAccount.volume)
      return `--volume=${serviceAccount.dir}:${mount.mountPath}:ro`;
    const volume = pod.spec?.volumes?.find((v) => v.name === mount.name);
    if (!volume?.emptyDir)
      throw new UnsupportedPodSpec(
        `volume ${mount.name} of container ${container.name}: the local runner mounts emptyDir volumes and the service account token only`,
      );
    const size = volume.emptyDir.sizeLimit ? `,size=${bytes(volume.emptyDir.sizeLimit)}` : '';
    return `--tmpfs=${mount.mountPath}:rw,nosuid,nodev${size}`;
  });
}

/** `podman run` for one container of a pod (pure: the pod spec and the launch decide everything). */
export function podmanRunArgs(launch: ContainerLaunch): string[] {
  const { pod, container } = launch;
  const env = podmanEnv(launch, {});
  const policy = container.imagePullPolicy as keyof typeof PULL | undefined;
  const args = [
    'run',
    '--detach',
    `--name=${launch.name}`,
    '--network=host',
    `--pull=${PULL[policy ?? 'IfNotPresent'] ?? 'missing'}`,
    '--log-driver=k8s-file',
    `--log-opt=path=${launch.logFile}`,
    ...securityArgs(pod, container),
    ...volumeArgs(launch),
    ...ULIMITS.map((limit) => `--ulimit=${limit}`),
    ...Object.keys(env)
      .sort()
      .map((name) => `--env=${name}`),
  ];
  if (launch.command?.length) args.push(`--entrypoint=${JSON.stringify(launch.command)}`);
  args.push(container.image!, ...(launch.args ?? []));
  return args;
}

/**
 * The container's variables (passed on by name), with the API server's address where the token is
 * mounted, on top of `base` (podman's own environment, when it runs).
 */
export function podmanEnv(launch: ContainerLaunch, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...launch.env };
  if (launch.serviceAccount) {
    env.KUBERNETES_SERVICE_HOST = launch.serviceAccount.host;
    env.KUBERNETES_SERVICE_PORT = launch.serviceAccount.port;
  }
  return env;
}

export function podmanRuntime(): PodRuntime {
  return {
    kind: 'podman',
    async start(launch: ContainerLaunch): Promise<StartedContainer> {
      await removeContainer(launch.name); // a leftover of a crashed run, or the previous restart
      await podman(podmanRunArgs(launch), { env: podmanEnv(launch) });
      // `podman wait` prints the exit code once the container ends (and at once if it already has).
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
        const wait = spawn('podman', [`--runtime=${RUNTIME}`, 'wait', launch.name], {
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        let out = '';
        wait.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        wait.on('close', () => {
          const code = Number.parseInt(out.trim(), 10);
          resolve({ code: Number.isNaN(code) ? null : code, signal: null });
        });
        wait.on('error', () => resolve({ code: null, signal: null }));
      });
      return {
        description: `container ${launch.name}`,
        exited,
        async stop(graceSeconds) {
          await stopContainer(launch.name, graceSeconds).catch(() => undefined);
          await exited;
          await removeContainer(launch.name);
        },
      };
    },
  };
}

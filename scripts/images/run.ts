import { podman, ULIMITS } from './containers.ts';

/**
 * A container of the boxoffice image run the way the chart runs its pods (restricted Pod Security
 * Standard): a non-root UID, read-only root filesystem with only /tmp writable (the chart's
 * emptyDir), no capabilities, no privilege escalation. Host networking: the real dependencies
 * listen on this machine's loopback.
 */
export interface ContainerSpec {
  image: string;
  /** The service: operator, purchase-api, query-api or allocator (images/services.ts). */
  service: string;
  name: string;
  env: Record<string, string>;
  /** Host files mounted read-only, e.g. a kubeconfig: container path → host path. */
  files?: Record<string, string>;
  /** `uid:gid`; any non-root pair works, the image does not depend on its own user. */
  user?: string;
}

export function runArgs(spec: ContainerSpec): string[] {
  return [
    'run',
    '--detach',
    `--name=${spec.name}`,
    '--network=host',
    '--read-only',
    '--read-only-tmpfs=false',
    '--tmpfs=/tmp:rw,nosuid,nodev,size=64m',
    `--user=${spec.user ?? '1000:1000'}`,
    '--cap-drop=ALL',
    '--security-opt=no-new-privileges',
    ...ULIMITS.map((limit) => `--ulimit=${limit}`),
    ...Object.entries(spec.env).map(([key, value]) => `--env=${key}=${value}`),
    ...Object.entries(spec.files ?? {}).map(([inside, outside]) => `--volume=${outside}:${inside}:ro`),
    spec.image,
    spec.service,
  ];
}

/** Starts the container; resolves to its id. */
export async function runContainer(spec: ContainerSpec): Promise<string> {
  return (await podman(runArgs(spec))).trim();
}

export interface ContainerState {
  running: boolean;
  exitCode: number;
}

export async function containerState(name: string): Promise<ContainerState> {
  const [running, exitCode] = (
    await podman(['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', name])
  )
    .trim()
    .split(' ');
  return { running: running === 'true', exitCode: Number(exitCode) };
}

/**
 * What the kubelet does on pod deletion: SIGTERM, then SIGKILL after the grace period. Resolves
 * to the exit code and how long the stop took.
 */
export async function stopContainer(
  name: string,
  graceSeconds: number,
): Promise<{ exitCode: number; seconds: number }> {
  const started = Date.now();
  await podman(['stop', `--time=${graceSeconds}`, name]);
  const seconds = (Date.now() - started) / 1000;
  return { exitCode: (await containerState(name)).exitCode, seconds };
}

export async function containerLogs(name: string): Promise<string> {
  return podman(['logs', name], { combined: true }).catch((error: Error) => `(no logs: ${error.message})`);
}

export async function removeContainer(name: string): Promise<void> {
  await podman(['rm', '--force', '--ignore', name]).catch(() => undefined);
}

import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { ServiceAccountFiles } from './service-account.ts';

/**
 * How the local kubelet stand-in runs one container of a pod: as a Node.js process of the checkout
 * (`npm start`: fast, no image) or as a podman container of the built image (the end-to-end test).
 * Both get the same resolved pod spec; what differs is only what "a container" is.
 */
export interface ContainerLaunch {
  pod: V1Pod;
  container: V1Container;
  /** A name unique on this machine for this container of this pod. */
  name: string;
  /** The resolved environment (Secrets, ConfigMaps, downward API read; moved ports rewritten). */
  env: Record<string, string>;
  /** command and args with `$(VAR)` expanded; undefined where the pod spec leaves the image's. */
  command?: string[];
  args?: string[];
  serviceAccount?: ServiceAccountFiles;
  logFile: string;
}

export interface StartedContainer {
  /** For the log: "pid 1234", "container k8s_…". */
  description: string;
  /** Resolves when the process ends, with its exit code (null when killed by a signal). */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** SIGTERM, then SIGKILL after the grace period; resolves once it is gone. */
  stop(graceSeconds: number): Promise<void>;
}

export interface PodRuntime {
  readonly kind: string;
  start(launch: ContainerLaunch): Promise<StartedContainer>;
}

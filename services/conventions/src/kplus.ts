/**
 * The conventions as cdk8s-plus-33 props, for the Deployments built with it (the operator's
 * allocator, the cdk8s app's operator and APIs).
 */
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { PROBES } from './probes.ts';
import { containerSecurityContext, type ContainerSecurityContext } from './security-context.ts';
import { TMP_VOLUME } from './volumes.ts';

/** cdk8s-plus probes take a port number (the container's port of that name). */
export function kplusProbes(
  port: number,
): Required<Pick<kplus.ContainerProps, 'startup' | 'liveness' | 'readiness'>> {
  const probe = ({ path, periodSeconds, failureThreshold }: (typeof PROBES)[keyof typeof PROBES]) =>
    kplus.Probe.fromHttpGet(path, { port, periodSeconds: Duration.seconds(periodSeconds), failureThreshold });
  return {
    startup: probe(PROBES.startup),
    liveness: probe(PROBES.liveness),
    readiness: probe(PROBES.readiness),
  };
}

export function kplusSecurityContext(values: ContainerSecurityContext): kplus.ContainerSecurityContextProps {
  const context = containerSecurityContext(values);
  return {
    ensureNonRoot: context.runAsNonRoot,
    user: context.runAsUser,
    group: context.runAsGroup,
    readOnlyRootFilesystem: context.readOnlyRootFilesystem,
    allowPrivilegeEscalation: context.allowPrivilegeEscalation,
    privileged: context.privileged,
    capabilities: context.capabilities as kplus.ContainerSecutiryContextCapabilities,
    seccompProfile: context.seccompProfile as kplus.SeccompProfile,
  };
}

/** The /tmp emptyDir and its mount, to put into a workload's `volumes` and a container's `volumeMounts`. */
export function kplusTmpVolume(scope: Construct): { volume: kplus.Volume; mount: kplus.VolumeMount } {
  const volume = kplus.Volume.fromEmptyDir(scope, TMP_VOLUME.name, TMP_VOLUME.name, {
    sizeLimit: Size.mebibytes(TMP_VOLUME.sizeLimitMebibytes),
  });
  return { volume, mount: { path: TMP_VOLUME.mountPath, volume } };
}

/**
 * The restricted Pod Security Standard as boxoffice pods meet it. The image runs as UID/GID 1000
 * (Dockerfile `USER`), writes only /tmp (see volumes.ts), and needs no capability.
 */
export const IMAGE_USER = 1000;

/** A container securityContext in the shape of the chart's `securityContext` values. */
export interface ContainerSecurityContext {
  runAsNonRoot: boolean;
  runAsUser: number;
  runAsGroup: number;
  readOnlyRootFilesystem: boolean;
  allowPrivilegeEscalation: boolean;
  privileged: boolean;
  capabilities: { drop: string[]; add?: string[] };
  seccompProfile: { type: 'RuntimeDefault' | 'Localhost'; localhostProfile?: string };
}

export const RESTRICTED_CONTAINER_SECURITY_CONTEXT: ContainerSecurityContext = {
  runAsNonRoot: true,
  runAsUser: IMAGE_USER,
  runAsGroup: IMAGE_USER,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

export const RESTRICTED_POD_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  runAsUser: IMAGE_USER,
  runAsGroup: IMAGE_USER,
  fsGroup: IMAGE_USER,
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/**
 * A container securityContext as written into a pod spec: an empty `capabilities.add` and an empty
 * `seccompProfile.localhostProfile` are left out (the API server refuses a localhostProfile with
 * type RuntimeDefault, even an empty one).
 */
export function containerSecurityContext(values: ContainerSecurityContext): ContainerSecurityContext {
  const { add, drop } = values.capabilities;
  const { type, localhostProfile } = values.seccompProfile;
  return {
    ...values,
    capabilities: add?.length ? { drop, add } : { drop },
    seccompProfile: localhostProfile ? { type, localhostProfile } : { type },
  };
}

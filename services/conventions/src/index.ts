export { COMPONENTS, HTTP_PORT_NAME, METRICS_PATH, type ComponentName } from './components.ts';
export { LABEL, PART_OF, platformLabels, selectorLabels, type LabelValues } from './labels.ts';
export { containerProbes, PROBES, type HttpProbe } from './probes.ts';
export {
  containerSecurityContext,
  IMAGE_USER,
  RESTRICTED_CONTAINER_SECURITY_CONTEXT,
  RESTRICTED_POD_SECURITY_CONTEXT,
  type ContainerSecurityContext,
} from './security-context.ts';
export { TMP_VOLUME, tmpVolume, tmpVolumeMount } from './volumes.ts';
export { kplusProbes, kplusSecurityContext, kplusTmpVolume } from './kplus.ts';

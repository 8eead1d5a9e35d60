export { clusterKafkaBrokers, desiredAllocatorDeployment, fixedReplicas } from './allocator-deployment.ts';
export {
  allocatorName,
  childLabels,
  EVENT_NAME_LABEL,
  EVENT_NAMESPACE_LABEL,
  eventOfChild,
  selectorLabels,
  type EventRef,
} from './metadata.ts';
export { desiredScaledObject, type ScaledObjectSpec } from './scaled-object.ts';

export { clusterKafkaBrokers, desiredAllocatorDeployment, fixedReplicas } from './allocator-deployment.ts';
export { allocatorName, childLabels, EVENT_LABEL } from './metadata.ts';
export { desiredScaledObject, type ScaledObjectSpec } from './scaled-object.ts';

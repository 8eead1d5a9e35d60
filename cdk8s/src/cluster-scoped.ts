import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import type { IConstruct } from 'constructs';

/**
 * A cluster-scoped object (the CRD, the operator's ClusterRole and its binding) has no namespace;
 * cdk8s gives every object the namespace of the chart it is in, so it is taken off again.
 */
export function clusterScoped<T extends IConstruct>(construct: T): T {
  if (Chart.of(construct).namespace)
    ApiObject.of(construct).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  return construct;
}

/**
 * The labels of every boxoffice object. The chart, the cdk8s app and the operator (on each event's
 * allocator) all write these keys; dashboards, PodMonitors and the operator's informers select on
 * part-of and component.
 */
export const LABEL = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  version: 'app.kubernetes.io/version',
} as const;

export const PART_OF = 'boxoffice';

export interface LabelValues {
  /** app.kubernetes.io/name: the chart name for platform objects, `boxoffice-allocator` for allocators. */
  name: string;
  component: string;
  /** The installation (Helm release or cdk8s construct id); allocators, written per event, have none. */
  instance?: string;
  managedBy: string;
  version?: string;
}

/** What a workload selects its pods by: immutable in a Deployment, so never more than these. */
export function selectorLabels(
  values: Pick<LabelValues, 'name' | 'instance' | 'component'>,
): Record<string, string> {
  return {
    [LABEL.name]: values.name,
    ...(values.instance === undefined ? {} : { [LABEL.instance]: values.instance }),
    [LABEL.component]: values.component,
  };
}

/** Selector labels plus part-of, managed-by and (when known) version. */
export function platformLabels(values: LabelValues): Record<string, string> {
  return {
    ...selectorLabels(values),
    [LABEL.partOf]: PART_OF,
    [LABEL.managedBy]: values.managedBy,
    ...(values.version === undefined ? {} : { [LABEL.version]: values.version }),
  };
}

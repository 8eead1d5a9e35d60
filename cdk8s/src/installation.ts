/**
 * One installation of the platform, as every builder of the construct sees it: the values (defaults
 * filled in), the release it plays (Helm's release name and namespace), its names and labels.
 */
import { platformLabels, selectorLabels } from '@boxoffice/conventions';
import { imageReference, names, type Names } from './naming.ts';
import { chartMetadata, type ChartMetadata } from './sources.ts';
import type { Values } from './values.ts';

/** app.kubernetes.io/managed-by of every object the construct writes (the chart's is `Helm`). */
export const MANAGED_BY = 'cdk8s';

export interface Installation {
  release: string;
  namespace: string;
  values: Values;
  chart: ChartMetadata;
  names: Names;
  /** The platform image every component runs. */
  image: string;
  /** Labels of a component's objects (and its pods, before podLabels). */
  labels(component: string): Record<string, string>;
  /** What a component's workload selects its pods by. */
  selector(component: string): Record<string, string>;
}

/** Helm's rule for release names: a DNS subdomain of at most 53 characters (names get suffixes). */
const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function installation(values: Values, release: string, namespace: string): Installation {
  if (release.length > 53 || !RELEASE_NAME.test(release))
    throw new Error(
      `invalid release name "${release}": lowercase letters, digits, - and . (at most 53), as Helm requires; pass \`release\` when the construct id is not one`,
    );
  const chart = chartMetadata();
  const objectNames = names(values, release, chart);
  const selector = (component: string) =>
    selectorLabels({ name: objectNames.name, instance: release, component });
  return {
    release,
    namespace,
    values,
    chart,
    names: objectNames,
    image: imageReference(values.image, chart.appVersion),
    selector,
    labels: (component) => ({
      ...platformLabels({
        name: objectNames.name,
        instance: release,
        component,
        managedBy: MANAGED_BY,
        version: chart.appVersion,
      }),
      ...values.commonLabels,
    }),
  };
}

import * as kplus from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import type { Installation } from './installation.ts';

/** A PodDisruptionBudget (cdk8s-plus has no construct for one, so the Kubernetes API's own). */
export function disruptionBudget(
  scope: Construct,
  install: Installation,
  component: string,
  maxUnavailable: number | string,
): kplus.k8s.KubePodDisruptionBudget {
  return new kplus.k8s.KubePodDisruptionBudget(scope, 'pdb', {
    metadata: {
      name: install.names.component(component),
      namespace: install.namespace,
      labels: install.labels(component),
    },
    spec: {
      maxUnavailable:
        typeof maxUnavailable === 'number'
          ? kplus.k8s.IntOrString.fromNumber(maxUnavailable)
          : kplus.k8s.IntOrString.fromString(maxUnavailable),
      selector: { matchLabels: install.selector(component) },
    },
  });
}

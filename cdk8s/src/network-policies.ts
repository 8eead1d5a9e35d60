/**
 * Who may connect to each pod: API clients and scrapers to the APIs, scrapers only to the operator and analytics
 * (templates/networkpolicy.yaml). The peers are Kubernetes' NetworkPolicyPeer objects, as written.
 */
import { isDeepStrictEqual } from 'node:util';
import { HTTP_PORT_NAME } from '@boxoffice/conventions';
import * as kplus from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { setAsWritten } from './as-written.ts';
import type { Installation } from './installation.ts';

export function networkPolicies(scope: Construct, install: Installation): void {
  const { enabled, apiFrom, metricsFrom } = install.values.networkPolicy;
  if (!enabled) return;
  const components = ['purchase-api', 'query-api', 'operator'];
  if (install.values.analytics.enabled) components.push('analytics');
  for (const component of components) {
    const scrapedOnly = component === 'operator' || component === 'analytics';
    const from = scrapedOnly ? metricsFrom : unique([...apiFrom, ...metricsFrom]);
    const policy = new kplus.k8s.KubeNetworkPolicy(scope, `network-policy-${component}`, {
      metadata: {
        name: install.names.component(component),
        namespace: install.namespace,
        labels: install.labels(component),
      },
      spec: {
        podSelector: { matchLabels: install.selector(component) },
        policyTypes: ['Ingress'],
        ingress: [{ ports: [{ port: kplus.k8s.IntOrString.fromString(HTTP_PORT_NAME), protocol: 'TCP' }] }],
      },
    });
    setAsWritten(policy, '/spec/ingress/0/from', from);
  }
}

/** Sprig's `uniq`: the first of each deeply equal item. */
function unique<T>(items: T[]): T[] {
  return items.filter((item, index) => items.findIndex((other) => isDeepStrictEqual(other, item)) === index);
}

/**
 * The whole boxoffice platform as one construct, the same objects the Helm chart installs:
 *
 *   new BoxofficePlatform(chart, 'boxoffice', { namespace: 'boxoffice', kafka: { brokers: [...] }, ... })
 *
 * Props are the chart's values (same names, nesting and defaults; see values.ts) plus the two facts
 * Helm takes from the command line: the namespace, and the release name (the construct's id unless
 * given), which prefixes object names as `helm install <release>` does.
 */
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Analytics } from './analytics.ts';
import { Api, purchaseApiEnv, queryApiEnv, type ApiComponent } from './api.ts';
import { ticketEventDefinition } from './crd.ts';
import { credentialEntries, credentialsChecksum, credentialsSecret } from './credentials.ts';
import { platformIngress } from './ingress.ts';
import { installation, type Installation } from './installation.ts';
import { kedaKafkaAuthentication } from './keda.ts';
import { monitoring } from './monitoring.ts';
import { networkPolicies } from './network-policies.ts';
import { Operator } from './operator.ts';
import { resolveValues, type BoxofficeValues } from './values.ts';

export interface BoxofficePlatformProps extends BoxofficeValues {
  /** Where the platform runs (Helm's --namespace); default: the chart's namespace, else `default`. */
  readonly namespace?: string;
  /** Helm's release name; default: the construct's id. */
  readonly release?: string;
}

export class BoxofficePlatform extends Construct {
  /** The installation as built: resolved values, names, labels. */
  readonly installation: Installation;
  readonly operator: Operator;
  readonly apis: Record<ApiComponent, Api>;
  /** Absent when `analytics.enabled` is false. */
  readonly analytics?: Analytics;

  constructor(scope: Construct, id: string, props: BoxofficePlatformProps = {}) {
    super(scope, id);
    const { namespace, release, ...values } = props;
    const install = installation(
      resolveValues(values),
      release ?? id,
      namespace ?? Chart.of(this).namespace ?? 'default',
    );
    this.installation = install;
    const credentials = credentialEntries(install);
    const secretChecksum = credentialsChecksum(credentials);
    ticketEventDefinition(this, install);
    credentialsSecret(this, install, credentials);
    this.operator = new Operator(this, 'operator', install, secretChecksum);
    kedaKafkaAuthentication(this, install);
    this.apis = {
      'purchase-api': new Api(this, 'purchase-api', install, {
        component: 'purchase-api',
        values: install.values.purchaseApi,
        env: purchaseApiEnv(install),
        secretChecksum,
      }),
      'query-api': new Api(this, 'query-api', install, {
        component: 'query-api',
        values: install.values.queryApi,
        env: queryApiEnv(install),
        secretChecksum,
      }),
    };
    if (install.values.analytics.enabled)
      this.analytics = new Analytics(this, 'analytics', install, secretChecksum);
    platformIngress(this, install, this.apis);
    networkPolicies(this, install);
    monitoring(this, install);
  }
}

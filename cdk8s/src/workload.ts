/**
 * A Deployment of the platform image (the operator, purchase-api, query-api) as the chart writes
 * it: built with cdk8s-plus from the shared conventions (ports, probes, security context, /tmp),
 * with the values Kubernetes takes as written (resources, placement, the pod security context)
 * passed through unchanged, as the chart's `toYaml` does.
 */
import {
  COMPONENTS,
  HTTP_PORT_NAME,
  kplusProbes,
  kplusSecurityContext,
  kplusTmpVolume,
  type ComponentName,
} from '@boxoffice/conventions';
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { setAsWritten } from './as-written.ts';
import type { Env } from './env.ts';
import type { Installation } from './installation.ts';
import type { Values } from './values.ts';

/** The values every Deployment of the chart accepts (`podPlacement()` in values-schema.ts, plus resources and args). */
type WorkloadValues = Pick<
  Values['operator'],
  | 'args'
  | 'resources'
  | 'podAnnotations'
  | 'podLabels'
  | 'nodeSelector'
  | 'tolerations'
  | 'affinity'
  | 'topologySpreadConstraints'
  | 'priorityClassName'
>;

export interface WorkloadOptions {
  component: Exclude<ComponentName, 'allocator'>;
  values: WorkloadValues;
  /** Undefined when a HorizontalPodAutoscaler owns the count. */
  replicas?: number;
  serviceAccount?: kplus.IServiceAccount;
  /** The operator talks to the API server; the APIs have no use for a token. */
  automountServiceAccountToken: boolean;
  terminationGracePeriodSeconds: number;
  env: Env;
  envFrom: kplus.EnvFrom[];
  preStopSleepSeconds?: number;
  /** Rolls the pods when the installation's Secret changes. */
  secretChecksum: string;
}

export function platformDeployment(
  scope: Construct,
  install: Installation,
  options: WorkloadOptions,
): kplus.Deployment {
  const { component, values } = options;
  const { port } = COMPONENTS[component];
  const tmp = kplusTmpVolume(scope);
  const deployment = new kplus.Deployment(scope, 'deployment', {
    metadata: {
      name: install.names.component(component),
      namespace: install.namespace,
      labels: install.labels(component),
    },
    replicas: options.replicas,
    revisionHistoryLimit: 5,
    select: false,
    podMetadata: {
      labels: { ...install.labels(component), ...values.podLabels },
      annotations: { 'checksum/secret': options.secretChecksum, ...values.podAnnotations },
    },
    serviceAccount: options.serviceAccount,
    automountServiceAccountToken: options.automountServiceAccountToken,
    terminationGracePeriod: Duration.seconds(options.terminationGracePeriodSeconds),
    volumes: [tmp.volume],
    containers: [
      {
        name: component,
        image: install.image,
        imagePullPolicy: install.values.image.pullPolicy as kplus.ImagePullPolicy,
        args: values.args,
        ports: [{ number: port, name: HTTP_PORT_NAME, protocol: kplus.Protocol.TCP }],
        envVariables: options.env,
        envFrom: options.envFrom,
        ...kplusProbes(port),
        volumeMounts: [tmp.mount],
        securityContext: kplusSecurityContext(install.values.securityContext),
      },
    ],
  });
  deployment.select(kplus.LabelSelector.of({ labels: install.selector(component) }));
  passThrough(deployment, install, options);
  return deployment;
}

/** Values Kubernetes takes as written, set where the chart sets them (an empty one is left out). */
function passThrough(deployment: kplus.Deployment, install: Installation, options: WorkloadOptions): void {
  const { values } = options;
  const pod = '/spec/template/spec';
  const container = `${pod}/containers/0`;
  const set: [string, unknown][] = [
    // The whole pod securityContext: cdk8s-plus has no seccompProfile at pod level.
    [`${pod}/securityContext`, install.values.podSecurityContext],
    [`${container}/resources`, values.resources],
  ];
  if (install.values.imagePullSecrets.length)
    set.push([`${pod}/imagePullSecrets`, install.values.imagePullSecrets]);
  if (values.priorityClassName) set.push([`${pod}/priorityClassName`, values.priorityClassName]);
  for (const key of ['nodeSelector', 'affinity'] as const) {
    if (Object.keys(values[key]).length) set.push([`${pod}/${key}`, values[key]]);
  }
  if (values.tolerations.length) set.push([`${pod}/tolerations`, values.tolerations]);
  if (values.topologySpreadConstraints.length) {
    const selector = { labelSelector: { matchLabels: install.selector(options.component) } };
    set.push([
      `${pod}/topologySpreadConstraints`,
      values.topologySpreadConstraints.map((constraint) => mergeMissing(constraint, selector)),
    ]);
  }
  // cdk8s-plus lifecycle handlers have no `sleep` (Kubernetes 1.30+), which needs no shell in the image.
  if (options.preStopSleepSeconds)
    set.push([`${container}/lifecycle`, { preStop: { sleep: { seconds: options.preStopSleepSeconds } } }]);
  for (const [path, value] of set) setAsWritten(deployment, path, value);
}

/** Sprig's `merge`: keys of `source` the target lacks are added, maps merged deeply, the target's values kept. */
export function mergeMissing(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
): Record<string, unknown> {
  const isMap = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === 'object' && !Array.isArray(value);
  const merged: Record<string, unknown> = structuredClone(target);
  for (const [key, value] of Object.entries(source)) {
    const own = merged[key];
    if (own === undefined) merged[key] = structuredClone(value);
    else if (isMap(own) && isMap(value)) merged[key] = mergeMissing(own, value);
  }
  return merged;
}

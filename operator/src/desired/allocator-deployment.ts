import {
  COMPONENTS,
  kplusProbes,
  kplusSecurityContext,
  kplusTmpVolume,
  RESTRICTED_CONTAINER_SECURITY_CONTEXT,
} from '@boxoffice/conventions';
import { App, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { ALLOCATOR_TELEMETRY_ENV, type OperatorConfig } from '../config.ts';
import type { TicketEvent } from '../ticket-event.ts';
import { childMetadata, selectorLabels } from './metadata.ts';

const ALLOCATOR_PORT = COMPONENTS.allocator.port;

/** Kafka as the allocator pods and KEDA see it (in a cluster, not the operator's loopback). */
export function clusterKafkaBrokers(config: OperatorConfig): string {
  return config.CLUSTER_KAFKA_BROKERS ?? config.KAFKA_BROKERS.join(',');
}

/**
 * The allocator's own Kafka principal (from ALLOCATOR_KAFKA_SECRET, in the allocators' namespace) with
 * the operator's mechanism and TLS setting; nothing when the operator itself does not authenticate.
 */
function allocatorKafkaEnv(chart: Chart, config: OperatorConfig): Record<string, kplus.EnvValue> {
  const env: Record<string, kplus.EnvValue> = {};
  if (config.KAFKA_TLS) {
    env.KAFKA_TLS = kplus.EnvValue.fromValue('true');
    if (!config.ALLOCATOR_KAFKA_SECRET) {
      if (config.KAFKA_TLS_CA_FILE)
        env.KAFKA_TLS_CA_FILE = kplus.EnvValue.fromValue(config.KAFKA_TLS_CA_FILE);
      if (config.KAFKA_TLS_CA) env.KAFKA_TLS_CA = kplus.EnvValue.fromValue(config.KAFKA_TLS_CA);
    }
  }
  if (!config.KAFKA_SASL_MECHANISM) return env;
  env.KAFKA_SASL_MECHANISM = kplus.EnvValue.fromValue(config.KAFKA_SASL_MECHANISM);
  if (config.ALLOCATOR_KAFKA_SECRET) {
    // Required with SASL (config.ts): the principal never goes into the spec as a value.
    const secret = kplus.Secret.fromSecretName(chart, 'kafka', config.ALLOCATOR_KAFKA_SECRET);
    for (const key of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'])
      env[key] = kplus.EnvValue.fromSecretValue({ secret, key });
    if (config.KAFKA_TLS)
      env.KAFKA_TLS_CA = kplus.EnvValue.fromSecretValue({ secret, key: 'KAFKA_TLS_CA' }, { optional: true });
  }
  return env;
}

/**
 * Every credential as a reference to a Secret in the allocators' namespace, never a value: whoever
 * may read this Deployment learns only a Secret's name, and organizers may read neither.
 */
function credentialEnv(chart: Chart, config: OperatorConfig): Record<string, kplus.EnvValue> {
  const secrets = new Map<string, kplus.ISecret>();
  const secret = (name: string): kplus.ISecret => {
    if (!secrets.has(name)) secrets.set(name, kplus.Secret.fromSecretName(chart, `secret-${name}`, name));
    return secrets.get(name)!;
  };
  return Object.fromEntries(
    config.ALLOCATOR_SECRET_ENV.map(({ env, name, key }) => [
      env,
      kplus.EnvValue.fromSecretValue({ secret: secret(name), key }),
    ]),
  );
}

/**
 * Replicas when KEDA cannot scale: nothing scales from zero, so at least one, and as many as the
 * event allows at peak (each replica consumes its share of the partitions).
 */
export function fixedReplicas(event: TicketEvent): number {
  return Math.max(1, event.spec.allocator.maxReplicas);
}

/**
 * The allocator Deployment of an event: a pure function of the TicketEvent and the operator's
 * config. With KEDA, `replicas` is left out so the ScaledObject's HPA owns it (server-side apply
 * would otherwise fight it); without, a fixed count.
 */
export function desiredAllocatorDeployment(
  event: TicketEvent,
  config: OperatorConfig,
  options: { autoscaled: boolean },
): Record<string, unknown> {
  const chart = new Chart(new App(), 'boxoffice', { disableResourceNameHashes: true });
  const selector = selectorLabels(event.metadata);
  const metadata = childMetadata(event, config);
  const kafkaAuth = allocatorKafkaEnv(chart, config);
  const tmp = kplusTmpVolume(chart);
  const deployment = new kplus.Deployment(chart, 'allocator', {
    metadata,
    replicas: options.autoscaled ? undefined : fixedReplicas(event),
    select: false,
    podMetadata: { labels: { ...metadata.labels, ...selector } },
    automountServiceAccountToken: false,
    // The allocator finishes its batch and commits offsets before it exits.
    terminationGracePeriod: Duration.seconds(60),
    volumes: [tmp.volume],
    containers: [
      {
        name: 'allocator',
        image: config.ALLOCATOR_IMAGE,
        imagePullPolicy: config.ALLOCATOR_IMAGE_PULL_POLICY as kplus.ImagePullPolicy,
        args: config.ALLOCATOR_ARGS,
        portNumber: ALLOCATOR_PORT,
        envVariables: {
          EVENT_NAMESPACE: kplus.EnvValue.fromValue(event.metadata.namespace),
          EVENT_NAME: kplus.EnvValue.fromValue(event.metadata.name),
          KAFKA_BROKERS: kplus.EnvValue.fromValue(clusterKafkaBrokers(config)),
          ...kafkaAuth,
          BOXOFFICE_PREFIX: kplus.EnvValue.fromValue(config.BOXOFFICE_PREFIX),
          PORT: kplus.EnvValue.fromValue(String(ALLOCATOR_PORT)),
          ...Object.fromEntries(
            ALLOCATOR_TELEMETRY_ENV.flatMap((name) =>
              config[name] === undefined ? [] : [[name, kplus.EnvValue.fromValue(config[name])]],
            ),
          ),
          ...credentialEnv(chart, config),
        },
        ...kplusProbes(ALLOCATOR_PORT),
        volumeMounts: [tmp.mount],
        resources: {
          cpu: { request: kplus.Cpu.millis(100) },
          memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
        },
        securityContext: kplusSecurityContext(RESTRICTED_CONTAINER_SECURITY_CONTEXT),
      },
    ],
  });
  deployment.select(kplus.LabelSelector.of({ labels: selector }));
  if (options.autoscaled) deployment.markHasAutoscaler();
  // The chart holds only this Deployment (the Secrets are references, not objects).
  return withContainerOverrides(chart.toJson()[0] as Record<string, unknown>, config);
}

/**
 * Resources and securityContext given whole by the operator's config (the Helm values) replace the
 * defaults; pull secrets are added as given (cdk8s-plus takes only one).
 */
function withContainerOverrides(
  manifest: Record<string, unknown>,
  config: OperatorConfig,
): Record<string, unknown> {
  const pod = (
    manifest as {
      spec: { template: { spec: { containers: Record<string, unknown>[] } & Record<string, unknown> } };
    }
  ).spec.template.spec;
  const container = pod.containers[0]!;
  if (config.ALLOCATOR_RESOURCES) container.resources = config.ALLOCATOR_RESOURCES;
  if (config.ALLOCATOR_SECURITY_CONTEXT) container.securityContext = config.ALLOCATOR_SECURITY_CONTEXT;
  if (config.ALLOCATOR_IMAGE_PULL_SECRETS?.length) pod.imagePullSecrets = config.ALLOCATOR_IMAGE_PULL_SECRETS;
  return manifest;
}

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
import { childMetadata, EVENT_LABEL } from './metadata.ts';

const ALLOCATOR_PORT = COMPONENTS.allocator.port;

/** Kafka as the allocator pods and KEDA see it (in a cluster, not the operator's loopback). */
export function clusterKafkaBrokers(config: OperatorConfig): string {
  return config.CLUSTER_KAFKA_BROKERS ?? config.KAFKA_BROKERS.join(',');
}

/**
 * The allocator's own Kafka principal (from ALLOCATOR_KAFKA_SECRET, or as plain values locally) with
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
    const secret = kplus.Secret.fromSecretName(chart, 'kafka', config.ALLOCATOR_KAFKA_SECRET);
    for (const key of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'])
      env[key] = kplus.EnvValue.fromSecretValue({ secret, key });
    if (config.KAFKA_TLS)
      env.KAFKA_TLS_CA = kplus.EnvValue.fromSecretValue({ secret, key: 'KAFKA_TLS_CA' }, { optional: true });
  } else {
    env.KAFKA_SASL_USERNAME = kplus.EnvValue.fromValue(config.ALLOCATOR_KAFKA_SASL_USERNAME!);
    env.KAFKA_SASL_PASSWORD = kplus.EnvValue.fromValue(config.ALLOCATOR_KAFKA_SASL_PASSWORD!);
  }
  return env;
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
  const selector = { 'app.kubernetes.io/component': 'allocator', [EVENT_LABEL]: event.metadata.name };
  const metadata = childMetadata(event);
  const databaseUrl = config.DATABASE_SECRET
    ? kplus.EnvValue.fromSecretValue({
        secret: kplus.Secret.fromSecretName(chart, 'database', config.DATABASE_SECRET.name),
        key: config.DATABASE_SECRET.key,
      })
    : kplus.EnvValue.fromValue(config.DATABASE_URL);
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
          REDIS_URL: kplus.EnvValue.fromValue(config.REDIS_URL),
          BOXOFFICE_PREFIX: kplus.EnvValue.fromValue(config.BOXOFFICE_PREFIX),
          DATABASE_URL: databaseUrl,
          PORT: kplus.EnvValue.fromValue(String(ALLOCATOR_PORT)),
          ...Object.fromEntries(
            ALLOCATOR_TELEMETRY_ENV.flatMap((name) =>
              config[name] === undefined ? [] : [[name, kplus.EnvValue.fromValue(config[name])]],
            ),
          ),
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
  // The chart holds only this Deployment (the Secret is a reference, not an object).
  return withContainerOverrides(chart.toJson()[0] as Record<string, unknown>, config);
}

/** Resources and securityContext given whole by the operator's config (the Helm values) replace the defaults. */
function withContainerOverrides(
  manifest: Record<string, unknown>,
  config: OperatorConfig,
): Record<string, unknown> {
  const container = (manifest as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } })
    .spec.template.spec.containers[0]!;
  if (config.ALLOCATOR_RESOURCES) container.resources = config.ALLOCATOR_RESOURCES;
  if (config.ALLOCATOR_SECURITY_CONTEXT) container.securityContext = config.ALLOCATOR_SECURITY_CONTEXT;
  return manifest;
}

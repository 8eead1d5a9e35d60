/** Environment the chart gives its containers (templates/_helpers.tpl), in the chart's order. */
import * as kplus from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import type { Installation } from './installation.ts';

export type Env = Record<string, kplus.EnvValue>;

interface SecretRef {
  existingSecret: string;
  existingSecretKey: string;
}

/** A credential: from the existing Secret when one is named, else from the installation's own Secret. */
export function secretEnv(
  scope: Construct,
  install: Installation,
  env: string,
  ref: SecretRef,
): kplus.EnvValue {
  const name = ref.existingSecret || install.names.secret;
  const secret = kplus.Secret.fromSecretName(scope, `${env}-secret`, name);
  return kplus.EnvValue.fromSecretValue({ secret, key: ref.existingSecret ? ref.existingSecretKey : env });
}

/** `<secret>/<key>` of a credential, read as secretEnv reads it. */
function secretRef(install: Installation, env: string, ref: SecretRef): string {
  return ref.existingSecret
    ? `${ref.existingSecret}/${ref.existingSecretKey}`
    : `${install.names.secret}/${env}`;
}

/** The allocators' credentials as the operator hands them on, Secret references only (ALLOCATOR_SECRET_ENV). */
export function allocatorSecretEnv(install: Installation): string {
  const { postgresql, redis } = install.values;
  return goJson({
    DATABASE_URL: secretRef(install, 'DATABASE_URL', postgresql),
    REDIS_URL: secretRef(install, 'REDIS_URL', redis),
  });
}

/**
 * The platform namespace allocators run in (ALLOCATOR_NAMESPACE). The installation's Secret lives in
 * its own namespace only, so another namespace needs the credentials from existingSecret there.
 */
export function allocatorNamespace(install: Installation): string {
  const { values } = install;
  const namespace = values.operator.allocators.namespace || install.namespace;
  const { postgresql, redis, kafka } = values;
  const installationSecretNeeded =
    !postgresql.existingSecret ||
    !redis.existingSecret ||
    (kafka.allocatorUsername && !kafka.allocatorSecret);
  if (namespace !== install.namespace && installationSecretNeeded)
    throw new Error(
      `operator.allocators.namespace ${namespace} is not the release namespace: allocators read their credentials there, so set postgresql.existingSecret and redis.existingSecret (and kafka.allocatorSecret) to Secrets in ${namespace}`,
    );
  return namespace;
}

/** ALLOCATOR_KAFKA_SECRET: the allocators' own Kafka principal, the user's Secret or the installation's. */
export function allocatorKafkaSecret(install: Installation): string | undefined {
  const { kafka } = install.values;
  if (kafka.allocatorSecret) return kafka.allocatorSecret;
  if (!kafka.allocatorUsername) return undefined;
  if (!kafka.allocatorPassword) throw new Error('kafka.allocatorUsername needs kafka.allocatorPassword');
  return install.names.secret;
}

/** Connection settings every component reads (platform/src/config.ts connectionConfig). */
export function connectionEnv(scope: Construct, install: Installation): Env {
  const { values } = install;
  return {
    DATABASE_URL: secretEnv(scope, install, 'DATABASE_URL', values.postgresql),
    REDIS_URL: secretEnv(scope, install, 'REDIS_URL', values.redis),
    ...sharedEnv(install),
  };
}

/** Kafka brokers, prefix, logs and traces: what every component reads besides its credentials. */
export function sharedEnv(install: Installation): Env {
  const { values } = install;
  return {
    KAFKA_BROKERS: kplus.EnvValue.fromValue(values.kafka.brokers.join(',')),
    BOXOFFICE_PREFIX: kplus.EnvValue.fromValue(values.prefix),
    LOG_LEVEL: kplus.EnvValue.fromValue(values.logLevel),
    ...(values.telemetry.otlpEndpoint
      ? {
          OTEL_EXPORTER_OTLP_ENDPOINT: kplus.EnvValue.fromValue(values.telemetry.otlpEndpoint),
          OTEL_TRACES_SAMPLER: kplus.EnvValue.fromValue(values.telemetry.sampler),
          // As Helm's `quote` prints a number.
          OTEL_TRACES_SAMPLER_ARG: kplus.EnvValue.fromValue(String(values.telemetry.samplerRatio)),
        }
      : { OTEL_TRACES_EXPORTER: kplus.EnvValue.fromValue('none') }),
  };
}

/** A component's `env` value: plain variables, by name (as Helm ranges over a map). */
export function extraEnv(env: Record<string, string>): Env {
  return Object.fromEntries(
    Object.keys(env)
      .sort()
      .map((name) => [name, kplus.EnvValue.fromValue(env[name]!)]),
  );
}

/** The Kafka credentials Secret, whose every key becomes a variable of every Kafka client. */
export function kafkaEnvFrom(scope: Construct, install: Installation): kplus.EnvFrom[] {
  const name = install.values.kafka.existingSecret;
  return name ? [kplus.Env.fromSecret(kplus.Secret.fromSecretName(scope, 'kafka-credentials', name))] : [];
}

/**
 * JSON as Helm's toJson writes it (Go's encoding/json: map keys sorted, <, > and & escaped), so an
 * env value the operator parses reads the same from either installer.
 */
export function goJson(value: unknown): string {
  const sorted = (item: unknown): unknown =>
    Array.isArray(item)
      ? item.map(sorted)
      : item !== null && typeof item === 'object'
        ? Object.fromEntries(
            Object.keys(item)
              .sort()
              .map((key) => [key, sorted((item as Record<string, unknown>)[key])]),
          )
        : item;
  return JSON.stringify(sorted(value))
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026');
}

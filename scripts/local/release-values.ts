import type { Settings } from '../deps/env-file.ts';
import { kedaKafkaPrincipal } from '../deps/keda-kafka.ts';
import { localAllocatorKafka, localAnalyticsKafka, localKafkaEnv } from './platform-env.ts';

/**
 * The chart's values for the local control plane, shared by `npm start` and the end-to-end test
 * (so the test installs what `npm start` installs): the real dependencies on this machine's
 * loopback (every pod shares the host network), one replica of everything (no autoscaling, no
 * disruption budgets: one fake node), each component's own Kafka principal, and the local KEDA's
 * (deps' keda part) for the TriggerAuthentication the chart puts beside the allocators.
 */
export interface LocalReleaseOptions {
  settings: Settings;
  /** Defaults to the settings' DATABASE_URL. */
  databaseUrl?: string;
  prefix?: string;
  image: { repository: string; tag: string; pullPolicy: 'Never' | 'IfNotPresent' | 'Always' };
  jwtSecret: string;
  webhookSecret: string;
  /** Extra env of both APIs, e.g. development-only settings. */
  apiEnv?: Record<string, string>;
  /** Where every component and allocator exports its spans (OTLP/HTTP); none: tracing export off. */
  otlpEndpoint?: string;
}

/**
 * The chart has one Kafka Secret for every client (`kafka.existingSecret`), while each component
 * authenticates as its own principal here; until it has one per component, each component's
 * principal is passed as its own env (the brokers come from `kafka.brokers`).
 */
function kafkaPrincipalEnv(
  settings: Settings,
  component: 'operator' | 'purchase-api',
): Record<string, string> {
  const { KAFKA_BROKERS: _brokers, ...env } = localKafkaEnv(settings, component);
  return env;
}

/** The allocators' principal as chart values: the chart keeps it in its Secret, never in a spec. */
function allocatorKafkaValues(settings: Settings): Record<string, string> {
  const principal = localAllocatorKafka(settings);
  return principal ? { allocatorUsername: principal.username, allocatorPassword: principal.password } : {};
}

/** KEDA's principal as chart values (the chart's Secret and TriggerAuthentication); none without a local KEDA. */
function kedaValues(settings: Settings): Record<string, unknown> {
  const keda = kedaKafkaPrincipal(settings);
  return keda ? { keda: { kafka: { username: keda.username, password: keda.password } } } : {};
}

/**
 * How fast the local KEDA reacts (operator settings): it asks Kafka for each event's lag every 2 s,
 * so a first buyer of an idle event waits for an allocator start, not KEDA's 30 s default.
 */
const LOCAL_KEDA_ENV = { KEDA_POLLING_INTERVAL_SECONDS: '2' };

/** The pod annotation by which KWOK leaves a pod's readiness to the workload runner. */
export const READINESS_BY_RUNNER = 'local.boxoffice.dev/readiness';

/** The analytics consumer's principal as chart values (the chart's Secret), its mechanism as plain env. */
function analyticsValues(settings: Settings): { kafka: Record<string, string>; env: Record<string, string> } {
  const principal = localAnalyticsKafka(settings);
  return principal
    ? {
        kafka: { analyticsUsername: principal.username, analyticsPassword: principal.password },
        env: { KAFKA_SASL_MECHANISM: principal.mechanism },
      }
    : { kafka: {}, env: {} };
}

export function localReleaseValues(options: LocalReleaseOptions): Record<string, unknown> {
  const { settings } = options;
  // KWOK would report a new pod Ready the moment it is scheduled, and the runner correct that a
  // moment later; on a busy machine that moment can outlast minReadySeconds, and a rolling update
  // would stop the old pod while its successor does not answer yet. So the chart's pods carry an
  // annotation by which KWOK leaves their readiness to the runner alone (tools/kwok/stages.yaml):
  // Ready once the readiness probe passes. And a pod counts available only after 2 s Ready.
  const minReadySeconds = 2;
  const podAnnotations = { [READINESS_BY_RUNNER]: 'runner' };
  const analytics = analyticsValues(settings);
  const single = {
    autoscaling: { enabled: false },
    replicas: 1,
    podDisruptionBudget: { enabled: false },
    minReadySeconds,
    podAnnotations,
  };
  return {
    prefix: options.prefix ?? '',
    image: options.image,
    postgresql: { url: options.databaseUrl ?? settings.DATABASE_URL },
    redis: { url: settings.REDIS_URL },
    kafka: {
      brokers: (settings.KAFKA_BROKERS ?? '').split(',').filter(Boolean),
      ...allocatorKafkaValues(settings),
      ...analytics.kafka,
    },
    ...kedaValues(settings),
    // On one machine every trace is worth keeping (the chart's default keeps 10 %).
    ...(options.otlpEndpoint
      ? { telemetry: { otlpEndpoint: options.otlpEndpoint, sampler: 'parentbased_always_on' } }
      : {}),
    jwt: { secret: options.jwtSecret },
    webhook: { secret: options.webhookSecret },
    operator: {
      replicas: 1,
      minReadySeconds,
      podAnnotations,
      podDisruptionBudget: { enabled: false },
      env: { ...kafkaPrincipalEnv(settings, 'operator'), ...LOCAL_KEDA_ENV },
    },
    purchaseApi: { ...single, env: { ...kafkaPrincipalEnv(settings, 'purchase-api'), ...options.apiEnv } },
    queryApi: { ...single, env: { ...options.apiEnv } },
    analytics: { minReadySeconds, podAnnotations, env: analytics.env },
  };
}

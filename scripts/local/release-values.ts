import type { Settings } from '../deps/env-file.ts';
import { localAllocatorKafka, localAnalyticsKafka, localKafkaEnv } from './platform-env.ts';

/**
 * The chart's values for the local control plane, shared by `npm start` and the end-to-end test
 * (so the test installs what `npm start` installs): the real dependencies on this machine's
 * loopback (every pod shares the host network), one replica of everything (no autoscaling, no
 * disruption budgets: one fake node), and each component's own Kafka principal.
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
  // KWOK reports a new pod Ready the moment it is scheduled; the runner corrects that within
  // milliseconds, but a Deployment that counted it available would already stop the old pod. A pod
  // counts only after this long Ready, i.e. once the runner says so.
  const minReadySeconds = 2;
  const analytics = analyticsValues(settings);
  const single = {
    autoscaling: { enabled: false },
    replicas: 1,
    podDisruptionBudget: { enabled: false },
    minReadySeconds,
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
    jwt: { secret: options.jwtSecret },
    webhook: { secret: options.webhookSecret },
    operator: {
      replicas: 1,
      minReadySeconds,
      podDisruptionBudget: { enabled: false },
      env: kafkaPrincipalEnv(settings, 'operator'),
    },
    purchaseApi: { ...single, env: { ...kafkaPrincipalEnv(settings, 'purchase-api'), ...options.apiEnv } },
    queryApi: { ...single, env: { ...options.apiEnv } },
    analytics: { minReadySeconds, env: analytics.env },
  };
}

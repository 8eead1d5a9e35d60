import { connectionConfig, env, loadConfig } from '@boxoffice/platform/config';
import { z } from 'zod';

/** A setting given as JSON in one environment variable (lists and objects the chart passes through). */
const jsonEnv = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const resourceList = z.record(z.string(), z.union([z.string(), z.number()]));

/** The OTEL_* variables passed on to allocator pods as the operator has them. */
export const ALLOCATOR_TELEMETRY_ENV = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_TRACES_EXPORTER',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
] as const satisfies (keyof OperatorConfig)[];

/** What every allocator needs from a Secret: without these it cannot start. */
const REQUIRED_SECRET_ENV = ['DATABASE_URL', 'REDIS_URL'];
/** Set by the operator itself from the event and its config; a Secret must not replace them. */
const ALLOCATOR_PLAIN_ENV: readonly string[] = [
  'EVENT_NAMESPACE',
  'EVENT_NAME',
  'KAFKA_BROKERS',
  'BOXOFFICE_PREFIX',
  'PORT',
  ...ALLOCATOR_TELEMETRY_ENV,
];

/**
 * Environment variable → `<secret>[/<key>]` (the key defaults to the variable's name): every
 * credential an allocator gets, each read from a Secret in the allocators' namespace.
 */
const secretEnv = z
  .record(
    z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name'),
    z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\/[-._a-zA-Z0-9]+)?$/, 'expected <secret-name>[/<key>]'),
  )
  .superRefine((entries, ctx) => {
    for (const name of REQUIRED_SECRET_ENV)
      if (!(name in entries)) ctx.addIssue({ code: 'custom', message: `needs ${name}` });
    for (const name of Object.keys(entries)) {
      if (ALLOCATOR_PLAIN_ENV.includes(name))
        ctx.addIssue({ code: 'custom', message: `${name} is not a credential` });
      if (name.startsWith('KAFKA_'))
        ctx.addIssue({
          code: 'custom',
          message: `${name}: Kafka credentials come from ALLOCATOR_KAFKA_SECRET`,
        });
    }
  })
  .transform((entries) =>
    Object.entries(entries).map(([env, ref]) => {
      const [name, key] = ref.split('/');
      return { env, name: name!, key: key ?? env };
    }),
  );

const operatorFields = z.object({
  ...connectionConfig,
  PORT: env.port(8090),
  /** Image of the allocator Deployment the operator renders per event. */
  ALLOCATOR_IMAGE: z.string().min(1).default('ghcr.io/boxoffice-dev/allocator:latest'),
  ALLOCATOR_IMAGE_PULL_POLICY: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  /** Arguments to the allocator image (its entrypoint, for an image shared by every component); unset: the image's own. */
  ALLOCATOR_ARGS: jsonEnv(z.array(z.string())).optional(),
  /** The allocator container's resources (JSON, as in a pod spec); unset: the defaults of desired/allocator-deployment.ts. */
  ALLOCATOR_RESOURCES: jsonEnv(
    z.strictObject({ requests: resourceList, limits: resourceList }).partial(),
  ).optional(),
  /**
   * Pull secrets of allocator pods (JSON `[{"name": …}]`, as in a pod spec; the chart's
   * imagePullSecrets): Secrets in ALLOCATOR_NAMESPACE, beside the platform's own.
   */
  ALLOCATOR_IMAGE_PULL_SECRETS: jsonEnv(z.array(z.strictObject({ name: z.string().min(1) }))).optional(),
  /** The allocator container's securityContext (JSON, as in a pod spec); unset: non-root, read-only root filesystem. */
  ALLOCATOR_SECURITY_CONTEXT: jsonEnv(z.record(z.string(), z.unknown())).optional(),
  /**
   * The platform's namespace, where every event's allocator (Deployment, ScaledObject) runs, away
   * from organizers and beside the Secrets it reads; unset: LEASE_NAMESPACE (the operator's own).
   */
  ALLOCATOR_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a namespace name')
    .optional(),
  /**
   * JSON `{"DATABASE_URL": "<secret>[/<key>]", "REDIS_URL": …, …}`: the allocators' credentials, each
   * a secretKeyRef to a Secret in ALLOCATOR_NAMESPACE, never a plain value (organizers must not read
   * them). DATABASE_URL and REDIS_URL are required; Kafka's come from ALLOCATOR_KAFKA_SECRET.
   */
  ALLOCATOR_SECRET_ENV: jsonEnv(secretEnv),
  /** Kafka bootstrap servers as seen from inside the cluster (KEDA's trigger, allocator pods). */
  CLUSTER_KAFKA_BROKERS: z.string().optional(),
  /**
   * Secret in ALLOCATOR_NAMESPACE holding the allocator pods' own Kafka principal: keys
   * KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (and optionally KAFKA_TLS_CA, a PEM). The mechanism
   * and TLS flag are the operator's own KAFKA_SASL_MECHANISM and KAFKA_TLS. Locally too: never plain env.
   */
  ALLOCATOR_KAFKA_SECRET: z
    .string()
    .regex(/^[a-z0-9.-]+$/, 'expected a Secret name')
    .optional(),
  /**
   * The KEDA TriggerAuthentication giving KEDA's Kafka scaler its `username`, `password` (and `ca`)
   * when the brokers require SASL (it reads the groups' lag): by default a TriggerAuthentication in
   * ALLOCATOR_NAMESPACE, beside the ScaledObjects and away from organizers (the chart's
   * `keda.kafka.*`); a ClusterTriggerAuthentication with KEDA_KAFKA_TRIGGER_AUTHENTICATION_KIND
   * (for a KEDA that reads Secrets from its own namespace only). Unset: triggers without credentials.
   */
  KEDA_KAFKA_TRIGGER_AUTHENTICATION: z
    .string()
    .regex(/^[a-z0-9.-]+$/, 'expected a TriggerAuthentication name')
    .optional(),
  KEDA_KAFKA_TRIGGER_AUTHENTICATION_KIND: z
    .enum(['TriggerAuthentication', 'ClusterTriggerAuthentication'])
    .default('TriggerAuthentication'),
  /**
   * How often KEDA asks Kafka for each event's lag, and how long an event stays idle before its
   * allocator goes back to `minReplicas` 0; unset: KEDA's defaults (30 s, 300 s). The polling
   * interval is the most a buyer of an event scaled to zero waits before its allocator is started.
   */
  KEDA_POLLING_INTERVAL_SECONDS: z.coerce.number().int().min(1).optional(),
  KEDA_COOLDOWN_PERIOD_SECONDS: z.coerce.number().int().min(0).optional(),
  /**
   * Group/version whose `scaledobjects` resource means "KEDA is installed" (a discovery check).
   * Only tests change it, to see the fallback without uninstalling KEDA from a shared cluster.
   */
  KEDA_API_VERSION: z
    .string()
    .regex(/^[a-z0-9.-]+\/v[a-z0-9]+$/)
    .default('keda.sh/v1alpha1'),
  /** Only reconcile TicketEvents in this namespace (tests, or one operator per organizer); unset: all. */
  WATCH_NAMESPACE: z.string().optional(),
  RESYNC_SECONDS: z.coerce.number().int().min(1).default(30),
  /**
   * Reconciles of different events that run at once (one event never runs twice at once). Most of a
   * reconcile is waiting on Kafka, PostgreSQL and the API server, and concurrent ones share one
   * topic batch, so this is what makes a thousand events applied at once Ready within a minute.
   * Each takes a PostgreSQL connection (the pool has this many plus two).
   */
  RECONCILE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(16),
  /**
   * Overall reconcile starts per second (a token bucket), so a relist of thousands cannot flood the
   * API: an event needs two reconciles to become Ready, and one costs about four requests.
   */
  RECONCILE_RATE_PER_SECOND: z.coerce.number().min(0.1).default(50),
  RECONCILE_BURST: z.coerce.number().int().min(1).default(200),
  /** Leader election: one replica reconciles; another takes over within the lease duration. */
  LEASE_NAMESPACE: z.string().default('default'),
  LEASE_NAME: z.string().default('boxoffice-operator'),
  LEASE_DURATION_SECONDS: z.coerce.number().int().min(2).default(15),
  LEASE_RENEW_INTERVAL_MS: env.milliseconds(4_000),
  /** This replica's identity (the pod name in a cluster). */
  POD_NAME: z.string().default(`${process.env.HOSTNAME ?? 'operator'}-${process.pid}`),
  /**
   * How long a deleted event with `deletionPolicy: Delete` waits for in-flight holds before it
   * keeps the topic and lets go: a finalizer must never wedge a namespace deletion.
   */
  TOPIC_DELETE_GRACE_SECONDS: z.coerce.number().int().min(0).default(900),
  /**
   * Tracing settings (the standard OTEL_* variables, set on the operator by the chart's
   * `telemetry.*` values) that the allocator pods get too, so a purchase's trace reaches its batch.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
  OTEL_TRACES_EXPORTER: z.string().optional(),
  OTEL_TRACES_SAMPLER: z.string().optional(),
  OTEL_TRACES_SAMPLER_ARG: z.string().optional(),
  /** How often the leader reads shard counters, sell-outs, overdue holds and allocator lag (metrics). */
  SALE_OBSERVE_INTERVAL_MS: env.milliseconds(15_000),
  /** How often the leader audits the inventory invariants of every event on sale, one event at a time. */
  INVENTORY_AUDIT_INTERVAL_MS: env.milliseconds(60_000),
  /**
   * How long a deleted event's finalizer retries deleting its allocator (after the topic wait, if
   * any) before it lets go with a Warning; the allocator is then deleted once the event is gone.
   */
  CHILDREN_DELETE_GRACE_SECONDS: z.coerce.number().int().min(0).default(60),
});
/** With SASL on, allocator pods need a principal of their own (never the operator's), from a Secret. */
function allocatorKafkaPrincipal(config: z.infer<typeof operatorFields>, ctx: z.RefinementCtx): void {
  if (config.KAFKA_SASL_MECHANISM !== undefined && config.ALLOCATOR_KAFKA_SECRET === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['ALLOCATOR_KAFKA_SECRET'],
      message: "required with KAFKA_SASL_MECHANISM: the allocator pods' Kafka principal",
    });
}

/** The operator's one typed config: every key has a default or fails fast at start. */
export const operatorConfig = operatorFields.superRefine(allocatorKafkaPrincipal);
export type OperatorConfig = z.infer<typeof operatorConfig>;

/** Where allocators run: the platform's namespace, by default the operator's own. */
export function allocatorNamespace(config: OperatorConfig): string {
  return config.ALLOCATOR_NAMESPACE ?? config.LEASE_NAMESPACE;
}

export const readOperatorConfig = (): OperatorConfig => loadConfig(operatorConfig);

/**
 * The chart's values, described once: `npm run chart` writes charts/boxoffice/values.yaml (the
 * defaults, with these descriptions as comments), values.schema.json (strict: an unknown or
 * mistyped key is refused by helm) and the values table of the chart's README from this file.
 */
import { z } from 'zod';

/** A leaf with its default and the sentence the values file and README show for it. */
const leaf = <T extends z.ZodType>(schema: T, fallback: z.input<T>, doc: string) =>
  schema.default(fallback as never).describe(doc);
/** A group of keys: strict (unknown keys are refused), its defaults filled in from its leaves. */
const group = <S extends z.ZodRawShape>(shape: S, doc: string) =>
  z
    .strictObject(shape)
    .prefault({} as never)
    .describe(doc);

const text = (fallback: string, doc: string) => leaf(z.string(), fallback, doc);
const flag = (fallback: boolean, doc: string) => leaf(z.boolean(), fallback, doc);
const count = (fallback: number, doc: string, min = 0) => leaf(z.int().min(min), fallback, doc);
const stringMap = (doc: string, fallback: Record<string, string> = {}) =>
  leaf(z.record(z.string(), z.string()), fallback, doc);
/** Passed through to Kubernetes as written (affinity, tolerations…): the API server validates them. */
const kubeObject = (doc: string) => leaf(z.record(z.string(), z.unknown()), {}, doc);
const kubeList = (doc: string) => leaf(z.array(z.record(z.string(), z.unknown())), [], doc);

const pullPolicy = z.enum(['Always', 'IfNotPresent', 'Never']);
const quantity = z.union([z.string().regex(/^[0-9.]+[a-zA-Z]*$/), z.number().positive()]);
const resourceList = z.partialRecord(z.enum(['cpu', 'memory', 'ephemeral-storage']), quantity);

function resources(requests: { cpu: string; memory: string }, limits: { cpu: string; memory: string }) {
  return group(
    {
      requests: leaf(
        resourceList,
        requests,
        'Requests: what the scheduler reserves (CPU autoscaling targets are relative to it).',
      ),
      limits: leaf(resourceList, limits, 'Limits.'),
    },
    'Container resources.',
  );
}

/** The restricted Pod Security Standard, container level; typed so that a misspelt key is refused. */
function containerSecurityContext(doc: string) {
  return group(
    {
      runAsNonRoot: flag(true, 'Refuse to start as root.'),
      runAsUser: count(1000, "The image's numeric user, so the kubelet can check runAsNonRoot.", 1),
      runAsGroup: count(1000, 'Numeric group.', 1),
      readOnlyRootFilesystem: flag(true, 'Root filesystem read-only (/tmp is an emptyDir).'),
      allowPrivilegeEscalation: flag(false, 'No setuid escalation.'),
      privileged: flag(false, 'Never privileged.'),
      capabilities: group(
        {
          drop: leaf(z.array(z.string()), ['ALL'], 'Capabilities dropped.'),
          add: leaf(
            z.array(z.string()),
            [],
            'Capabilities added (the restricted profile allows only NET_BIND_SERVICE).',
          ),
        },
        'Linux capabilities.',
      ),
      seccompProfile: group(
        {
          type: leaf(z.enum(['RuntimeDefault', 'Localhost']), 'RuntimeDefault', 'Seccomp profile type.'),
          localhostProfile: text('', 'Profile file, for type Localhost.'),
        },
        'Seccomp profile.',
      ),
    },
    doc,
  );
}

/** An image; `inherit`: each empty key falls back to the platform image's (`image.*`). */
function imageReference(defaults: { repository: string; pullPolicy: string }, doc: string, inherit: boolean) {
  const otherwise = (key: string, own: string) => (inherit ? `empty: image.${key}` : own);
  return group(
    {
      repository: text(defaults.repository, `Image repository${inherit ? '; empty: image.repository' : ''}.`),
      tag: text('', `Image tag; ${otherwise('tag', "empty: the chart's appVersion")}.`),
      digest: leaf(
        z.string().regex(/^(sha256:[a-f0-9]{64})?$/, 'expected sha256:<64 hex digits>'),
        '',
        `Image digest (sha256:…): pulled as repository@digest, the tag ignored${
          inherit ? '; empty: image.digest if repository is empty too' : ''
        }.`,
      ),
      pullPolicy: leaf(
        inherit ? z.union([pullPolicy, z.literal('')]) : pullPolicy,
        defaults.pullPolicy as never,
        `Pull policy${inherit ? '; empty: image.pullPolicy' : ''}.`,
      ),
    },
    doc,
  );
}

/** Scheduling and pod metadata every Deployment of the chart accepts. */
const podPlacement = () => ({
  minReadySeconds: count(
    0,
    'Seconds a new pod must stay ready before it counts as available; a rolling update waits that long before it stops an old pod.',
  ),
  podAnnotations: stringMap('Annotations on the pods.'),
  podLabels: stringMap('Extra labels on the pods.'),
  nodeSelector: stringMap('Node selector.'),
  tolerations: kubeList('Tolerations.'),
  affinity: kubeObject('Affinity.'),
  topologySpreadConstraints: kubeList(
    'Topology spread constraints (the pod selector is added when a constraint has none).',
  ),
  priorityClassName: text('', 'Priority class.'),
  env: stringMap(
    'Extra environment variables (plain values), e.g. LOG_LEVEL or a setting this chart has no key for.',
  ),
});

const disruptionBudget = (doc: string) =>
  group(
    {
      enabled: flag(true, 'Create a PodDisruptionBudget.'),
      maxUnavailable: leaf(
        z.union([z.int().min(0), z.string().regex(/^[0-9]+%$/)]),
        1,
        'Pods that a voluntary disruption may take at once.',
      ),
    },
    doc,
  );

function api<Extra extends z.ZodRawShape>(
  options: {
    name: string;
    main: string;
    replicas: number;
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
  },
  extra: Extra,
) {
  return group(
    {
      replicas: count(options.replicas, 'Replicas when autoscaling is off.', 1),
      args: leaf(
        z.array(z.string()),
        [options.main],
        'Arguments to the image: the entrypoint of this service.',
      ),
      resources: resources(options.requests, options.limits),
      terminationGracePeriodSeconds: count(30, 'The service drains within this.', 1),
      preStopSleepSeconds: count(
        5,
        'Wait after the pod leaves its Service before SIGTERM, so load balancers stop sending first.',
      ),
      service: group(
        {
          type: leaf(z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']), 'ClusterIP', 'Service type.'),
          port: count(80, 'Service port.', 1),
          annotations: stringMap('Service annotations.'),
        },
        'The Service in front of the pods.',
      ),
      autoscaling: group(
        {
          enabled: flag(true, 'Create a HorizontalPodAutoscaler (replicas is then ignored).'),
          minReplicas: count(2, 'Fewest replicas.', 1),
          maxReplicas: count(10, 'Most replicas.', 1),
          targetCPUUtilizationPercentage: count(70, 'Average CPU utilisation (of requests) to keep.', 1),
        },
        'HorizontalPodAutoscaler on CPU.',
      ),
      podDisruptionBudget: disruptionBudget('PodDisruptionBudget.'),
      ...extra,
      ...podPlacement(),
    },
    `${options.name}.`,
  );
}

/** A credential: either its value (the chart writes it to its Secret) or an existing Secret's key. */
const secretRef = <Key extends string>(key: string, what: string, valueKey: Key) => ({
  ...({
    [valueKey]: text(
      '',
      `The ${what}, stored in the chart's Secret; leave empty when existingSecret is set.`,
    ),
  } as Record<Key, ReturnType<typeof text>>),
  existingSecret: text('', `An existing Secret holding the ${what} instead.`),
  existingSecretKey: text(key, 'The key of existingSecret that holds it.'),
});

const peers = (doc: string) =>
  leaf(z.array(z.record(z.string(), z.unknown())), [{ namespaceSelector: {} }], doc);

export const valuesSchema = z.strictObject({
  global: leaf(
    z.record(z.string(), z.unknown()),
    {},
    'Reserved for values shared with a parent chart; unused here.',
  ),
  nameOverride: text('', 'Replaces the chart name in object names.'),
  fullnameOverride: text('', 'Replaces the release-chart prefix of object names.'),
  commonLabels: stringMap('Labels added to every object.'),
  image: imageReference(
    { repository: 'ghcr.io/boxoffice-dev/boxoffice', pullPolicy: 'IfNotPresent' },
    'The one platform image; each component names the service it runs in args.',
    false,
  ),
  imagePullSecrets: leaf(
    z.array(z.strictObject({ name: z.string().min(1) })),
    [],
    'Pull secrets of the operator, API and allocator pods (for allocators, Secrets in operator.allocators.namespace).',
  ),
  prefix: leaf(
    z.string().regex(/^[a-z0-9-]*$/),
    '',
    'BOXOFFICE_PREFIX: prefix of shared topics and Redis keys, so several installations share servers.',
  ),
  logLevel: leaf(
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']),
    'info',
    'LOG_LEVEL of every component.',
  ),
  telemetry: group(
    {
      otlpEndpoint: text('', 'OTEL_EXPORTER_OTLP_ENDPOINT for traces; empty: tracing export is off.'),
      sampler: leaf(
        z.enum([
          'parentbased_traceidratio',
          'parentbased_always_on',
          'parentbased_always_off',
          'traceidratio',
          'always_on',
          'always_off',
        ]),
        'parentbased_traceidratio',
        'OTEL_TRACES_SAMPLER of every component and allocator (docs/observability.md, "Traces").',
      ),
      samplerRatio: leaf(
        z.number().min(0).max(1),
        0.1,
        'OTEL_TRACES_SAMPLER_ARG: the share of new traces kept by the *traceidratio samplers.',
      ),
    },
    'OpenTelemetry.',
  ),
  crds: group(
    {
      install: flag(true, 'Install the TicketEvent CRD with the chart (and upgrade it with the chart).'),
      keep: flag(
        true,
        'Keep the CRD on helm uninstall (helm.sh/resource-policy: keep), so TicketEvents survive.',
      ),
    },
    'The TicketEvent CustomResourceDefinition.',
  ),
  postgresql: group(
    secretRef('DATABASE_URL', 'PostgreSQL URL (postgres://user:password@host:5432/database)', 'url'),
    'PostgreSQL, the source of truth.',
  ),
  redis: group(
    secretRef('REDIS_URL', 'Redis URL (redis://[:password@]host:6379)', 'url'),
    'Redis (cache and fan-out).',
  ),
  kafka: group(
    {
      brokers: leaf(
        z.array(z.string().min(1)),
        [],
        'Bootstrap servers (host:port) as seen from inside the cluster.',
      ),
      existingSecret: text(
        '',
        'A Secret whose keys become environment variables of every Kafka client (credentials, when Kafka authentication is configured).',
      ),
      allocatorUsername: text(
        '',
        "The allocators' own Kafka principal (SASL), stored with allocatorPassword in the chart's Secret; leave empty when allocatorSecret is set. One of the two is required when Kafka authenticates.",
      ),
      allocatorPassword: text('', "The allocators' Kafka password, stored in the chart's Secret."),
      allocatorSecret: text(
        '',
        "An existing Secret in the allocators' namespace with the allocators' own principal instead (keys KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, optionally KAFKA_TLS_CA).",
      ),
      analyticsUsername: text(
        '',
        "The analytics consumer's own Kafka principal (SASL; it may read only the order-events topic in its groups), stored with analyticsPassword in the chart's Secret; leave empty when analyticsSecret is set. Its KAFKA_SASL_MECHANISM comes from existingSecret or analytics.env.",
      ),
      analyticsPassword: text('', "The analytics consumer's Kafka password, stored in the chart's Secret."),
      analyticsSecret: text(
        '',
        "An existing Secret with the analytics consumer's own principal instead (keys KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD), after existingSecret.",
      ),
    },
    'Kafka.',
  ),
  keda: group(
    {
      kafka: group(
        {
          username: text(
            '',
            "KEDA's own Kafka principal (SASL), for its scaler reading the allocator groups' lag: with password, the chart creates a Secret and a TriggerAuthentication with it in the allocators' namespace, beside their ScaledObjects (KEDA_KAFKA_TRIGGER_AUTHENTICATION). Needed when Kafka authenticates and KEDA is installed (else ScalerReady=False); empty with no existingSecret: KEDA's triggers carry no credentials.",
          ),
          password: text('', "KEDA's Kafka password, stored in that Secret."),
          ca: text(
            '',
            "PEM of the CA of the brokers' TLS certificates, for KEDA (with kafka TLS and a private CA).",
          ),
          existingSecret: text(
            '',
            "An existing Secret in the allocators' namespace with KEDA's principal instead (keys username and password): the chart creates only the TriggerAuthentication.",
          ),
          existingTriggerAuthentication: text(
            '',
            "An existing TriggerAuthentication in the allocators' namespace (or, with existingTriggerAuthenticationKind, a ClusterTriggerAuthentication) instead: the chart creates nothing for KEDA.",
          ),
          existingTriggerAuthenticationKind: leaf(
            z.enum(['TriggerAuthentication', 'ClusterTriggerAuthentication']),
            'TriggerAuthentication',
            'Its kind: ClusterTriggerAuthentication for a KEDA that reads Secrets from its own namespace only.',
          ),
        },
        "KEDA's Kafka credentials (KEDA itself is installed in the cluster separately).",
      ),
    },
    'KEDA, which scales each allocator on its consumer lag.',
  ),
  jwt: group(
    {
      algorithm: leaf(z.enum(['HS256', 'RS256']), 'HS256', 'Pinned JWT algorithm.'),
      issuer: text('boxoffice-local', 'Required issuer (iss).'),
      audience: text('boxoffice', 'Required audience (aud).'),
      jwksUrl: text('', 'JWKS URL, for RS256.'),
      ...secretRef('JWT_SECRET', 'HS256 verification secret', 'secret'),
    },
    'Buyer tokens.',
  ),
  webhook: group(
    secretRef(
      'WEBHOOK_SECRET',
      'HMAC secret the payment provider signs webhooks with (16+ characters)',
      'secret',
    ),
    'Payment webhooks.',
  ),
  podSecurityContext: group(
    {
      runAsNonRoot: flag(true, 'Refuse to start as root.'),
      runAsUser: count(1000, 'Numeric user.', 1),
      runAsGroup: count(1000, 'Numeric group.', 1),
      fsGroup: count(1000, 'Group owning mounted volumes.', 1),
      seccompProfile: group(
        { type: leaf(z.enum(['RuntimeDefault', 'Localhost']), 'RuntimeDefault', 'Seccomp profile type.') },
        'Seccomp profile.',
      ),
    },
    'Pod security context of the operator and API pods (restricted Pod Security Standard).',
  ),
  securityContext: containerSecurityContext(
    'Container security context of the operator and API pods (restricted Pod Security Standard).',
  ),
  operator: group(
    {
      replicas: count(2, 'Replicas; one leads (a Lease), the others take over within the lease duration.', 1),
      args: leaf(z.array(z.string()), ['operator'], 'Arguments to the image: the service it runs.'),
      resources: resources({ cpu: '50m', memory: '128Mi' }, { cpu: '500m', memory: '384Mi' }),
      watchNamespace: text('', 'Reconcile TicketEvents in this namespace only; empty: every namespace.'),
      reconcile: group(
        {
          concurrency: leaf(
            z.int().min(1).max(64),
            16,
            'Reconciles of different events at once (RECONCILE_CONCURRENCY; one event never twice at once; each holds a PostgreSQL connection).',
          ),
          ratePerSecond: count(
            50,
            'Reconcile starts per second over all events (RECONCILE_RATE_PER_SECOND).',
            1,
          ),
          burst: count(200, 'Reconcile starts allowed above that rate at once (RECONCILE_BURST).', 1),
        },
        'How many TicketEvents the operator reconciles at once (docs/scaling.md, "Operator scale").',
      ),
      serviceAccount: group(
        {
          create: flag(true, 'Create the operator ServiceAccount.'),
          name: text('', 'Its name; empty: generated from the release.'),
          annotations: stringMap('ServiceAccount annotations (e.g. a cloud IAM role).'),
        },
        'The operator identity.',
      ),
      rbac: group(
        {
          create: flag(
            true,
            'Create the operator ClusterRole (from operator/rbac), its Roles for the Lease and the allocators, and their bindings.',
          ),
        },
        'RBAC.',
      ),
      podDisruptionBudget: disruptionBudget('PodDisruptionBudget of the operator.'),
      allocators: group(
        {
          namespace: text(
            '',
            "The platform namespace every event's allocator runs in, away from organizers (ALLOCATOR_NAMESPACE; the operator's Role there is created with the chart); empty: the release namespace. Another namespace must exist and hold the Secrets postgresql.existingSecret and redis.existingSecret name.",
          ),
          image: imageReference({ repository: '', pullPolicy: '' }, 'Allocator image.', true),
          args: leaf(z.array(z.string()), ['allocator'], 'Arguments to the image: the service it runs.'),
          resources: resources({ cpu: '100m', memory: '128Mi' }, { cpu: '1', memory: '512Mi' }),
          securityContext: containerSecurityContext('Container security context of allocator pods.'),
        },
        'The per-event allocator Deployments the operator writes.',
      ),
      ...podPlacement(),
    },
    'The TicketEvent operator.',
  ),
  purchaseApi: api(
    {
      name: 'purchase-api (orders, releases, payment webhooks)',
      main: 'purchase-api',
      replicas: 2,
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { cpu: '1', memory: '512Mi' },
    },
    {
      replyTimeoutMs: count(2000, 'How long a purchase waits for its allocator before answering 202.'),
      kafkaSendTimeoutMs: count(
        5000,
        "How long a command waits for Kafka's acknowledgement before the buyer hears 503 ordering-unavailable.",
      ),
      rateLimitPerIpPerSecond: count(200, 'Requests per second and client IP.', 1),
      rateLimitPerBuyerPerSecond: count(10, 'Requests per second and buyer.', 1),
    },
  ),
  queryApi: api(
    {
      name: 'query-api (events, availability, orders, tickets)',
      main: 'query-api',
      replicas: 2,
      requests: { cpu: '100m', memory: '192Mi' },
      limits: { cpu: '1', memory: '512Mi' },
    },
    { sseHeartbeatMs: count(15000, 'Heartbeat interval of the availability stream.', 1) },
  ),
  analytics: group(
    {
      enabled: flag(
        true,
        "Run the analytics consumer (the sales projection behind the organizer API's per-minute series).",
      ),
      replicas: count(
        1,
        "Consumers in the group; more than the order-events topic's partitions stand by (one takes over when another stops).",
        1,
      ),
      args: leaf(z.array(z.string()), ['analytics'], 'Arguments to the image: the service it runs.'),
      resources: resources({ cpu: '50m', memory: '128Mi' }, { cpu: '500m', memory: '256Mi' }),
      terminationGracePeriodSeconds: count(
        30,
        'The current batch is finished and the group left within this.',
        1,
      ),
      groupId: text(
        '',
        'ANALYTICS_GROUP_ID: the consumer group; empty: boxoffice-analytics after the prefix. A new name (starting with that) rebuilds the projection from the topic once its tables are emptied (README, "For organizers").',
      ),
      serviceAccount: group(
        {
          create: flag(
            true,
            'Create the analytics ServiceAccount (no API access; its token is not mounted).',
          ),
          name: text('', 'Its name; empty: generated from the release.'),
          annotations: stringMap('ServiceAccount annotations (e.g. a cloud IAM role).'),
        },
        'The analytics identity.',
      ),
      ...podPlacement(),
    },
    'The analytics consumer of the order-events topic (services/analytics).',
  ),
  ingress: group(
    {
      enabled: flag(false, 'Create an Ingress for both APIs.'),
      className: text('', 'IngressClass; empty: the cluster default.'),
      annotations: stringMap(
        'Ingress annotations. The default routes use regular expressions, which ingress-nginx reads with use-regex.',
        { 'nginx.ingress.kubernetes.io/use-regex': 'true' },
      ),
      hosts: leaf(z.array(z.string().min(1)), ['boxoffice.example.com'], 'Host names served.'),
      tls: leaf(
        z.array(z.strictObject({ secretName: z.string().min(1), hosts: z.array(z.string().min(1)) })),
        [],
        'TLS: Secrets with certificates and the hosts they cover.',
      ),
      routes: leaf(
        z.array(
          z.strictObject({
            path: z.string().startsWith('/'),
            pathType: z.enum(['Prefix', 'Exact', 'ImplementationSpecific']),
            service: z.enum(['purchase-api', 'query-api']),
          }),
        ),
        [
          {
            path: '/v1/events/[^/]+/[^/]+/orders',
            pathType: 'ImplementationSpecific',
            service: 'purchase-api',
          },
          // Joining, reading and leaving a waiting list (purchase-api produces its commands).
          {
            path: '/v1/events/[^/]+/[^/]+/waiting-list',
            pathType: 'ImplementationSpecific',
            service: 'purchase-api',
          },
          // One order, exactly: GET and DELETE (release) share it; purchase-api serves both.
          { path: '/v1/orders/[^/]+$', pathType: 'ImplementationSpecific', service: 'purchase-api' },
          { path: '/v1/payments', pathType: 'Prefix', service: 'purchase-api' },
          { path: '/v1', pathType: 'Prefix', service: 'query-api' },
        ],
        'Paths and the API that serves them: placing, reading and releasing one order, waiting lists and payment webhooks to purchase-api, other reads to query-api.',
      ),
    },
    'Ingress.',
  ),
  networkPolicy: group(
    {
      enabled: flag(false, 'Create NetworkPolicies that admit only the listed peers to each pod.'),
      apiFrom: peers(
        'Peers allowed to reach the API pods (e.g. the ingress controller namespace); default: any pod in the cluster.',
      ),
      metricsFrom: peers(
        'Peers allowed to scrape the operator and the analytics consumer (e.g. the Prometheus namespace); default: any pod in the cluster.',
      ),
    },
    'NetworkPolicies (ingress side).',
  ),
  monitoring: group(
    {
      serviceMonitor: group(
        {
          enabled: flag(
            false,
            'A ServiceMonitor for purchase-api and query-api (needs the Prometheus Operator CRDs).',
          ),
          interval: text('30s', 'Scrape interval.'),
          labels: stringMap('Labels your Prometheus selects ServiceMonitors by.'),
        },
        'ServiceMonitor.',
      ),
      podMonitor: group(
        {
          enabled: flag(false, 'PodMonitors for the operator, the allocators and the analytics consumer.'),
          interval: text('30s', 'Scrape interval.'),
          labels: stringMap('Labels your Prometheus selects PodMonitors by.'),
        },
        'PodMonitor.',
      ),
      prometheusRule: group(
        {
          enabled: flag(
            false,
            'A PrometheusRule with the recording and alert rules of observability/alerts (each alert links its runbook).',
          ),
          labels: stringMap('Labels your Prometheus selects rules by.'),
        },
        'PrometheusRule.',
      ),
      dashboards: group(
        {
          enabled: flag(
            false,
            "ConfigMaps with the Grafana dashboards of observability/dashboards, labelled for Grafana's dashboard sidecar.",
          ),
          labels: stringMap('Labels the sidecar selects dashboard ConfigMaps by.', {
            grafana_dashboard: '1',
          }),
          annotations: stringMap("Annotations on the ConfigMaps (e.g. the sidecar's folder annotation)."),
          namespace: text(
            '',
            'Namespace of the ConfigMaps (where the sidecar looks, when it does not watch every namespace); empty: the release namespace.',
          ),
        },
        'Grafana dashboards.',
      ),
    },
    'Prometheus Operator objects.',
  ),
});

export type Values = z.output<typeof valuesSchema>;

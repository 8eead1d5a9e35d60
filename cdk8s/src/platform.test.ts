import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import {
  containerProbes,
  RESTRICTED_CONTAINER_SECURITY_CONTEXT,
  RESTRICTED_POD_SECURITY_CONTEXT,
  tmpVolume,
  tmpVolumeMount,
} from '@boxoffice/conventions';
import { operatorConfig } from '@boxoffice/operator/config';
import { desiredAllocatorDeployment, desiredScaledObject } from '@boxoffice/operator/desired/index';
import { sampleEvent } from '@boxoffice/operator/desired/fixtures';
import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { defaultValues } from '../../scripts/chart/values-render.ts';
import { BoxofficePlatform, type BoxofficePlatformProps } from './platform.ts';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}

interface Container {
  name: string;
  image: string;
  args?: string[];
  env: EnvVar[];
  envFrom?: unknown[];
  ports: unknown[];
  securityContext: unknown;
  volumeMounts: unknown[];
  resources: unknown;
  [field: string]: unknown;
}

interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: { containers: Container[]; securityContext: unknown; volumes: unknown[]; [field: string]: unknown };
}

function synth(props: BoxofficePlatformProps = {}, chartNamespace?: string): Manifest[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: chartNamespace });
  new BoxofficePlatform(chart, 'boxoffice', props);
  return Testing.synth(chart) as Manifest[];
}

const names = (objects: Manifest[], kind: string): string[] =>
  objects
    .filter((o) => o.kind === kind)
    .map((o) => o.metadata.name)
    .sort();

function find(objects: Manifest[], kind: string, name: string): Manifest {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`)}`);
  return found;
}

const podOf = (objects: Manifest[], name: string): PodTemplate =>
  (find(objects, 'Deployment', name) as unknown as { spec: { template: PodTemplate } }).spec.template;
const containerOf = (objects: Manifest[], name: string): Container =>
  podOf(objects, name).spec.containers[0]!;
const plainEnv = (container: Container): Record<string, string> =>
  Object.fromEntries(container.env.flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])));

const connected: BoxofficePlatformProps = {
  namespace: 'boxoffice',
  postgresql: { url: 'postgres://boxoffice:secret@postgres:5432/boxoffice' },
  redis: { url: 'redis://redis:6379' },
  kafka: { brokers: ['kafka-0:9092', 'kafka-1:9092'] },
  jwt: { secret: 'a-jwt-secret-of-at-least-32-characters' },
  webhook: { secret: 'a-webhook-secret' },
};

describe('BoxofficePlatform', () => {
  it('installs the whole platform by default: the CRD, the operator with its RBAC, both APIs with Services, autoscalers and budgets, the analytics consumer', () => {
    const objects = synth(connected);
    expect(names(objects, 'CustomResourceDefinition')).toEqual(['ticketevents.boxoffice.dev']);
    expect(names(objects, 'Secret')).toEqual(['boxoffice']);
    expect(names(objects, 'ServiceAccount')).toEqual(['boxoffice-analytics', 'boxoffice-operator']);
    expect(names(objects, 'ClusterRole')).toEqual(['boxoffice-operator']);
    expect(names(objects, 'ClusterRoleBinding')).toEqual(['boxoffice-operator']);
    expect(names(objects, 'Role').sort()).toEqual([
      'boxoffice-operator-allocators',
      'boxoffice-operator-leader-election',
    ]);
    expect(names(objects, 'Deployment')).toEqual([
      'boxoffice-analytics',
      'boxoffice-operator',
      'boxoffice-purchase-api',
      'boxoffice-query-api',
    ]);
    expect(names(objects, 'Service')).toEqual(['boxoffice-purchase-api', 'boxoffice-query-api']);
    expect(names(objects, 'HorizontalPodAutoscaler')).toEqual([
      'boxoffice-purchase-api',
      'boxoffice-query-api',
    ]);
    expect(names(objects, 'PodDisruptionBudget')).toEqual([
      'boxoffice-operator',
      'boxoffice-purchase-api',
      'boxoffice-query-api',
    ]);
    for (const kind of ['Ingress', 'NetworkPolicy', 'ServiceMonitor', 'PodMonitor', 'PrometheusRule'])
      expect(names(objects, kind)).toEqual([]);
  });

  it("resolves its props to exactly the chart's default values (values.yaml) when given none", () => {
    const chart = new Chart(Testing.app(), 'test');
    const platform = new BoxofficePlatform(chart, 'boxoffice');
    expect(platform.installation.values).toEqual(defaultValues());
    expect(platform.installation.values).toEqual(parse(readFileSync('charts/boxoffice/values.yaml', 'utf8')));
  });

  it('refuses an unknown or mistyped value, naming where it is', () => {
    expect(() => synth({ purchaseApi: { replica: 3 } } as never)).toThrow(
      /purchaseApi: Unrecognized key: "replica"/,
    );
    expect(() => synth({ queryApi: { replicas: 'two' } } as never)).toThrow(/queryApi\.replicas: /);
    expect(() => synth({ image: { digest: 'sha256:abc' } })).toThrow(/image\.digest: expected sha256/);
  });

  it('names objects as a Helm release does: <release>-boxoffice-<component>, the release alone when it holds the chart name', () => {
    const named = (release: string, props: BoxofficePlatformProps = {}) => {
      const chart = new Chart(Testing.app(), 'test');
      new BoxofficePlatform(chart, 'platform', { ...props, release });
      return names(Testing.synth(chart) as Manifest[], 'Deployment');
    };
    expect(named('tickets')).toContain('tickets-boxoffice-purchase-api');
    expect(named('my-boxoffice')).toContain('my-boxoffice-purchase-api');
    expect(named('tickets', { fullnameOverride: 'shop' })).toContain('shop-purchase-api');
    expect(named('tickets', { nameOverride: 'tix' })).toContain('tickets-tix-purchase-api');
  });

  it('runs in the namespace it is given, else the namespace of the chart it is in; cluster-scoped objects have none', () => {
    const given = synth({ namespace: 'platform' }, 'elsewhere');
    expect(find(given, 'Deployment', 'boxoffice-operator').metadata.namespace).toBe('platform');
    const inherited = synth({}, 'tickets');
    expect(find(inherited, 'Deployment', 'boxoffice-query-api').metadata.namespace).toBe('tickets');
    expect(find(inherited, 'ClusterRoleBinding', 'boxoffice-operator')).toMatchObject({
      subjects: [{ kind: 'ServiceAccount', name: 'boxoffice-operator', namespace: 'tickets' }],
    });
    for (const kind of ['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding']) {
      for (const object of inherited.filter((o) => o.kind === kind))
        expect(object.metadata.namespace).toBeUndefined();
    }
  });

  it('refuses a release name Helm would refuse (the construct id, unless `release` is given)', () => {
    const chart = new Chart(Testing.app(), 'test');
    expect(() => new BoxofficePlatform(chart, 'Boxoffice')).toThrow(/invalid release name "Boxoffice"/);
    expect(() => new BoxofficePlatform(chart, 'Platform', { release: 'tickets' })).not.toThrow();
  });

  it('can be embedded twice in one chart, as two installations with their own names', () => {
    const chart = new Chart(Testing.app(), 'test');
    new BoxofficePlatform(chart, 'boxoffice', { namespace: 'a', crds: { install: false } });
    new BoxofficePlatform(chart, 'staging', { namespace: 'b' });
    const objects = Testing.synth(chart) as Manifest[];
    expect(names(objects, 'Deployment')).toEqual(
      expect.arrayContaining(['boxoffice-operator', 'staging-boxoffice-operator']),
    );
  });
});

describe("the platform's pods", () => {
  const objects = synth(connected);

  it('run by the shared conventions: restricted, the shared probes on the named port, /tmp as the one writable place', () => {
    for (const deployment of names(objects, 'Deployment')) {
      const pod = podOf(objects, deployment);
      expect(pod.spec.securityContext).toEqual(RESTRICTED_POD_SECURITY_CONTEXT);
      expect(pod.spec.volumes).toEqual([tmpVolume()]);
      const container = pod.spec.containers[0]!;
      expect(container.securityContext).toEqual(RESTRICTED_CONTAINER_SECURITY_CONTEXT);
      expect(container.volumeMounts).toEqual([tmpVolumeMount()]);
      const [port] = container.ports as { name: string; containerPort: number }[];
      expect(port).toMatchObject({ name: 'http', protocol: 'TCP' });
      expect(container).toMatchObject(containerProbes(port!.containerPort));
    }
  });

  it("run the one platform image, tagged with the chart's appVersion, each with its service as the argument", () => {
    for (const component of ['operator', 'purchase-api', 'query-api', 'analytics']) {
      expect(containerOf(objects, `boxoffice-${component}`)).toMatchObject({
        name: component,
        image: 'ghcr.io/boxoffice-dev/boxoffice:0.1.0',
        args: [component],
      });
    }
  });

  it("carry the platform's labels (managed by cdk8s) and are selected by name, instance and component only", () => {
    const deployment = find(objects, 'Deployment', 'boxoffice-purchase-api') as unknown as {
      metadata: { labels: Record<string, string> };
      spec: { selector: { matchLabels: Record<string, string> } };
    };
    expect(deployment.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'boxoffice',
      'app.kubernetes.io/instance': 'boxoffice',
      'app.kubernetes.io/component': 'purchase-api',
      'app.kubernetes.io/part-of': 'boxoffice',
      'app.kubernetes.io/managed-by': 'cdk8s',
      'app.kubernetes.io/version': '0.1.0',
    });
    expect(deployment.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'boxoffice',
      'app.kubernetes.io/instance': 'boxoffice',
      'app.kubernetes.io/component': 'purchase-api',
    });
    const service = find(objects, 'Service', 'boxoffice-purchase-api') as unknown as {
      spec: { selector: object };
    };
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
  });

  it('take credentials from the installation Secret, never as plain env, and roll when one changes', () => {
    const secret = find(objects, 'Secret', 'boxoffice') as unknown as { data: Record<string, string> };
    expect(Buffer.from(secret.data.WEBHOOK_SECRET!, 'base64').toString()).toBe('a-webhook-secret');
    const container = containerOf(objects, 'boxoffice-purchase-api');
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'WEBHOOK_SECRET']) {
      expect(container.env.find((e) => e.name === name)).toEqual({
        name,
        valueFrom: { secretKeyRef: { name: 'boxoffice', key: name } },
      });
    }
    const checksum = (props: BoxofficePlatformProps) =>
      podOf(synth(props), 'boxoffice-query-api').metadata.annotations['checksum/secret'];
    expect(checksum(connected)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum({ ...connected, webhook: { secret: 'another-webhook-secret' } })).not.toBe(
      checksum(connected),
    );
  });

  it('give the analytics consumer PostgreSQL and its own Kafka principal by reference, no Redis, no API token', () => {
    const own = synth({
      ...connected,
      kafka: {
        ...connected.kafka,
        analyticsUsername: 'boxoffice-analytics',
        analyticsPassword: 'analytics-pw',
      },
    });
    const container = containerOf(own, 'boxoffice-analytics');
    const ref = (name: string) => container.env.find((e) => e.name === name)?.valueFrom;
    expect(ref('DATABASE_URL')).toEqual({ secretKeyRef: { name: 'boxoffice', key: 'DATABASE_URL' } });
    expect(ref('KAFKA_SASL_USERNAME')).toEqual({
      secretKeyRef: { name: 'boxoffice', key: 'ANALYTICS_KAFKA_SASL_USERNAME' },
    });
    expect(ref('KAFKA_SASL_PASSWORD')).toEqual({
      secretKeyRef: { name: 'boxoffice', key: 'ANALYTICS_KAFKA_SASL_PASSWORD' },
    });
    expect(container.env.map((e) => e.name)).not.toContain('REDIS_URL');
    const secret = find(own, 'Secret', 'boxoffice') as unknown as { data: Record<string, string> };
    expect(Buffer.from(secret.data.ANALYTICS_KAFKA_SASL_PASSWORD!, 'base64').toString()).toBe('analytics-pw');
    const pod = podOf(own, 'boxoffice-analytics').spec;
    expect(pod).toMatchObject({
      serviceAccountName: 'boxoffice-analytics',
      automountServiceAccountToken: false,
    });
    expect(find(own, 'ServiceAccount', 'boxoffice-analytics')).toMatchObject({
      automountServiceAccountToken: false,
    });
    const off = synth({ ...connected, analytics: { enabled: false } });
    expect(off.filter((o) => o.metadata.name === 'boxoffice-analytics')).toEqual([]);
  });

  it('take credentials from existing Secrets when named, and then no Secret is written', () => {
    const existing = synth({
      postgresql: { existingSecret: 'pg', existingSecretKey: 'url' },
      redis: { existingSecret: 'redis' },
      jwt: { algorithm: 'RS256', jwksUrl: 'https://login.example.com/jwks.json' },
      webhook: { existingSecret: 'payments', existingSecretKey: 'signing' },
      kafka: { brokers: ['kafka:9093'], existingSecret: 'kafka-credentials' },
    });
    expect(names(existing, 'Secret')).toEqual([]);
    const container = containerOf(existing, 'boxoffice-purchase-api');
    const refs = Object.fromEntries(
      container.env.flatMap((e) => (e.valueFrom?.secretKeyRef ? [[e.name, e.valueFrom.secretKeyRef]] : [])),
    );
    expect(refs).toEqual({
      DATABASE_URL: { name: 'pg', key: 'url' },
      REDIS_URL: { name: 'redis', key: 'REDIS_URL' },
      WEBHOOK_SECRET: { name: 'payments', key: 'signing' },
    });
    expect(plainEnv(container)).toMatchObject({
      JWT_ALGORITHM: 'RS256',
      JWT_JWKS_URL: 'https://login.example.com/jwks.json',
    });
    expect(container.envFrom).toEqual([{ secretRef: { name: 'kafka-credentials' } }]);
    expect(JSON.parse(plainEnv(containerOf(existing, 'boxoffice-operator')).ALLOCATOR_SECRET_ENV!)).toEqual({
      DATABASE_URL: 'pg/url',
      REDIS_URL: 'redis/REDIS_URL',
    });
  });

  it('give the operator what it writes into each allocator Deployment, which a TicketEvent then gets', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const pinned = synth({
      ...connected,
      // Allocators in a namespace of their own read the credentials from Secrets there.
      postgresql: { existingSecret: 'pg', existingSecretKey: 'url' },
      redis: { existingSecret: 'redis' },
      imagePullSecrets: [{ name: 'registry-credentials' }],
      operator: {
        allocators: {
          namespace: 'allocators',
          image: { repository: 'registry.example.com/allocator', digest, pullPolicy: 'Always' },
          resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '2', memory: '1Gi' } },
        },
      },
    });
    const env = plainEnv(containerOf(pinned, 'boxoffice-operator'));
    const config = operatorConfig.parse({
      ...env,
      DATABASE_URL: 'postgres://db:5432/x',
      REDIS_URL: 'redis://r:6379',
    });
    expect(config).toMatchObject({
      ALLOCATOR_IMAGE: `registry.example.com/allocator@${digest}`,
      ALLOCATOR_IMAGE_PULL_POLICY: 'Always',
      ALLOCATOR_ARGS: ['allocator'],
      ALLOCATOR_NAMESPACE: 'allocators',
      ALLOCATOR_SECRET_ENV: [
        { env: 'DATABASE_URL', name: 'pg', key: 'url' },
        { env: 'REDIS_URL', name: 'redis', key: 'REDIS_URL' },
      ],
      ALLOCATOR_IMAGE_PULL_SECRETS: [{ name: 'registry-credentials' }],
      LEASE_NAMESPACE: 'boxoffice',
      LEASE_NAME: 'boxoffice-operator',
    });
    const allocator = desiredAllocatorDeployment(sampleEvent(), config, { autoscaled: true }) as unknown as {
      spec: { template: PodTemplate };
    };
    expect(allocator.spec.template.spec.containers[0]).toMatchObject({
      image: `registry.example.com/allocator@${digest}`,
      resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '2', memory: '1Gi' } },
      securityContext: RESTRICTED_CONTAINER_SECURITY_CONTEXT,
    });
  });

  it('give KEDA its Kafka principal beside the allocators: a Secret of its own and the TriggerAuthentication the ScaledObjects name', () => {
    const objects = synth({
      ...connected,
      postgresql: { existingSecret: 'pg' },
      redis: { existingSecret: 'redis' },
      operator: { allocators: { namespace: 'allocators' } },
      keda: { kafka: { username: 'boxoffice-keda', password: 'keda-password-1' } },
    });
    const secret = find(objects, 'Secret', 'boxoffice-keda-kafka') as Manifest & {
      data: Record<string, string>;
    };
    expect(secret.metadata.namespace).toBe('allocators');
    expect(Object.keys(secret.data).sort()).toEqual(['password', 'username']);
    const authentication = find(objects, 'TriggerAuthentication', 'boxoffice-keda-kafka');
    expect(authentication).toMatchObject({
      apiVersion: 'keda.sh/v1alpha1',
      metadata: { namespace: 'allocators' },
      spec: {
        secretTargetRef: [
          { parameter: 'username', name: 'boxoffice-keda-kafka', key: 'username' },
          { parameter: 'password', name: 'boxoffice-keda-kafka', key: 'password' },
        ],
      },
    });
    const env = plainEnv(containerOf(objects, 'boxoffice-operator'));
    expect(JSON.stringify(env)).not.toContain('keda-password-1');
    const config = operatorConfig.parse({
      ...env,
      DATABASE_URL: 'postgres://db:5432/x',
      REDIS_URL: 'redis://r:6379',
    });
    const scaledObject = desiredScaledObject(sampleEvent(), config) as {
      metadata: { namespace: string };
      spec: { triggers: { authenticationRef?: unknown }[] };
    };
    // A TriggerAuthentication is found in the ScaledObject's own namespace: the allocators'.
    expect(scaledObject.metadata.namespace).toBe('allocators');
    expect(scaledObject.spec.triggers[0]!.authenticationRef).toEqual({
      name: 'boxoffice-keda-kafka',
      kind: 'TriggerAuthentication',
    });
  });

  it('write nothing for KEDA by default, and only the reference to an existing (Cluster)TriggerAuthentication', () => {
    const plain = synth(connected);
    expect(names(plain, 'TriggerAuthentication')).toEqual([]);
    expect(plainEnv(containerOf(plain, 'boxoffice-operator'))).not.toHaveProperty(
      'KEDA_KAFKA_TRIGGER_AUTHENTICATION',
    );
    const existing = synth({
      ...connected,
      keda: {
        kafka: {
          existingTriggerAuthentication: 'keda-kafka',
          existingTriggerAuthenticationKind: 'ClusterTriggerAuthentication',
        },
      },
    });
    expect(names(existing, 'TriggerAuthentication')).toEqual([]);
    expect(plainEnv(containerOf(existing, 'boxoffice-operator'))).toMatchObject({
      KEDA_KAFKA_TRIGGER_AUTHENTICATION: 'keda-kafka',
      KEDA_KAFKA_TRIGGER_AUTHENTICATION_KIND: 'ClusterTriggerAuthentication',
    });
  });

  it('leave replicas to the autoscaler when autoscaling is on, and run a fixed count without autoscaler or budget when off', () => {
    const autoscaled = find(objects, 'Deployment', 'boxoffice-query-api') as unknown as { spec: object };
    expect(autoscaled.spec).not.toHaveProperty('replicas');
    expect(find(objects, 'HorizontalPodAutoscaler', 'boxoffice-query-api')).toMatchObject({
      spec: {
        minReplicas: 2,
        maxReplicas: 10,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'boxoffice-query-api' },
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
        ],
      },
    });
    // Kubernetes' default scaling behaviour, as the chart has it.
    expect(find(objects, 'HorizontalPodAutoscaler', 'boxoffice-query-api').spec).not.toHaveProperty(
      'behavior',
    );

    const fixed = synth({
      queryApi: { replicas: 1, autoscaling: { enabled: false }, podDisruptionBudget: { enabled: false } },
    });
    expect(
      (find(fixed, 'Deployment', 'boxoffice-query-api') as unknown as { spec: object }).spec,
    ).toMatchObject({
      replicas: 1,
    });
    expect(names(fixed, 'HorizontalPodAutoscaler')).toEqual(['boxoffice-purchase-api']);
    expect(names(fixed, 'PodDisruptionBudget')).toEqual(['boxoffice-operator', 'boxoffice-purchase-api']);
  });

  it('pass placement and resources through as written, adding the pod selector to spread constraints', () => {
    const affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } };
    const placed = synth({
      purchaseApi: {
        resources: { requests: { cpu: 0.5, memory: '1Gi', 'ephemeral-storage': '1Gi' } },
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
        affinity,
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' }],
        priorityClassName: 'tickets',
      },
      imagePullSecrets: [{ name: 'registry' }],
    });
    const pod = podOf(placed, 'boxoffice-purchase-api').spec;
    // As in a values file, a key left out keeps its default (limits here).
    expect(pod.containers[0]!.resources).toEqual({
      requests: { cpu: 0.5, memory: '1Gi', 'ephemeral-storage': '1Gi' },
      limits: { cpu: '1', memory: '512Mi' },
    });
    expect(pod).toMatchObject({
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
      affinity,
      priorityClassName: 'tickets',
      imagePullSecrets: [{ name: 'registry' }],
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'zone',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: {
            matchLabels: {
              'app.kubernetes.io/name': 'boxoffice',
              'app.kubernetes.io/instance': 'boxoffice',
              'app.kubernetes.io/component': 'purchase-api',
            },
          },
        },
      ],
    });
  });
});

describe('the RBAC of the operator', () => {
  const rules = (file: string) => (parse(readFileSync(file, 'utf8')) as { rules: unknown }).rules;

  it('grants exactly the rules of operator/rbac/', () => {
    const objects = synth();
    expect(find(objects, 'ClusterRole', 'boxoffice-operator').rules).toEqual(
      rules('operator/rbac/clusterrole.yaml'),
    );
    expect(find(objects, 'Role', 'boxoffice-operator-leader-election').rules).toEqual(
      rules('operator/rbac/leader-election-role.yaml'),
    );
    // In the installation's namespace (the default platform namespace), beside the Lease's.
    expect(find(objects, 'Role', 'boxoffice-operator-allocators')).toMatchObject({
      metadata: { namespace: find(objects, 'Role', 'boxoffice-operator-leader-election').metadata.namespace },
      rules: rules('operator/rbac/allocators-role.yaml'),
    });
  });

  it('refuses allocators in another namespace than the installation when their credentials are its own Secret', () => {
    expect(() => synth({ ...connected, operator: { allocators: { namespace: 'allocators' } } })).toThrow(
      /operator.allocators.namespace allocators is not the release namespace/,
    );
  });

  it('binds the ClusterRole only in the watched namespace when there is one', () => {
    const objects = synth({ namespace: 'boxoffice', operator: { watchNamespace: 'organizer-a' } });
    expect(names(objects, 'ClusterRoleBinding')).toEqual([]);
    const binding = objects.find((o) => o.kind === 'RoleBinding' && o.metadata.namespace === 'organizer-a');
    expect(binding).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'boxoffice-operator' },
      subjects: [{ kind: 'ServiceAccount', name: 'boxoffice-operator', namespace: 'boxoffice' }],
    });
    expect(plainEnv(containerOf(objects, 'boxoffice-operator')).WATCH_NAMESPACE).toBe('organizer-a');
  });

  it('is left out with operator.rbac.create=false, and an existing ServiceAccount is used by name', () => {
    const objects = synth({
      operator: { rbac: { create: false }, serviceAccount: { create: false, name: 'ops' } },
      analytics: { serviceAccount: { create: false, name: 'projection' } },
    });
    for (const kind of ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'ServiceAccount'])
      expect(names(objects, kind)).toEqual([]);
    expect(podOf(objects, 'boxoffice-operator').spec.serviceAccountName).toBe('ops');
    expect(podOf(objects, 'boxoffice-analytics').spec.serviceAccountName).toBe('projection');
  });
});

describe('optional objects', () => {
  const everything = synth({
    ...connected,
    ingress: { enabled: true, className: 'nginx', hosts: ['tickets.example.com'] },
    networkPolicy: {
      enabled: true,
      apiFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
      metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    },
    monitoring: {
      serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
      podMonitor: { enabled: true },
      prometheusRule: { enabled: true },
    },
  });

  it('route placing orders, reads and releases of one order, and payment webhooks to purchase-api, other reads to query-api', () => {
    const ingress = find(everything, 'Ingress', 'boxoffice') as unknown as {
      spec: {
        ingressClassName: string;
        rules: {
          host: string;
          http: { paths: { path: string; backend: { service: { name: string } } }[] };
        }[];
      };
    };
    expect(ingress.spec.ingressClassName).toBe('nginx');
    const routes = Object.fromEntries(
      ingress.spec.rules[0]!.http.paths.map((p) => [p.path, p.backend.service.name]),
    );
    expect(routes).toEqual({
      '/v1/events/[^/]+/[^/]+/orders': 'boxoffice-purchase-api',
      '/v1/events/[^/]+/[^/]+/waiting-list': 'boxoffice-purchase-api',
      '/v1/payments': 'boxoffice-purchase-api',
      // One order: read and released (DELETE) through the same path, so purchase-api serves both.
      '/v1/orders/[^/]+$': 'boxoffice-purchase-api',
      '/v1': 'boxoffice-query-api',
    });
  });

  it('admit API clients and scrapers to the APIs, only scrapers to the operator and analytics, on the http port', () => {
    const from = (name: string) =>
      (
        find(everything, 'NetworkPolicy', name) as unknown as {
          spec: { ingress: { from: unknown[]; ports: unknown[] }[] };
        }
      ).spec.ingress[0]!;
    const monitoring = {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
    };
    expect(from('boxoffice-purchase-api').from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
      monitoring,
    ]);
    for (const scrapedOnly of ['boxoffice-operator', 'boxoffice-analytics'])
      expect(from(scrapedOnly)).toEqual({
        from: [monitoring],
        ports: [{ port: 'http', protocol: 'TCP' }],
      });
  });

  it('monitor the APIs, the operator and every allocator, with the labels Prometheus selects by and the alert rules', () => {
    expect(find(everything, 'ServiceMonitor', 'boxoffice').metadata.labels).toMatchObject({
      release: 'prometheus',
    });
    expect(names(everything, 'PodMonitor')).toEqual([
      'boxoffice-allocators',
      'boxoffice-analytics',
      'boxoffice-operators',
    ]);
    expect(find(everything, 'PodMonitor', 'boxoffice-allocators')).toMatchObject({
      spec: {
        // Where the operator runs every event's allocator: the platform namespace.
        namespaceSelector: { matchNames: ['boxoffice'] },
        selector: {
          matchLabels: {
            'app.kubernetes.io/part-of': 'boxoffice',
            'app.kubernetes.io/component': 'allocator',
          },
        },
        podMetricsEndpoints: [{ portNumber: 8082, path: '/metrics' }],
      },
    });
    const rule = find(everything, 'PrometheusRule', 'boxoffice') as unknown as {
      spec: { groups: { rules: { alert?: string }[] }[] };
    };
    // The rule files of observability/alerts as they are, Prometheus templates in annotations kept.
    expect(rule.spec).toEqual(parse(readFileSync('charts/boxoffice/files/prometheus-rules.yaml', 'utf8')));
    expect(rule.spec.groups.flatMap((g) => g.rules).filter((r) => r.alert).length).toBeGreaterThan(10);
  });
});

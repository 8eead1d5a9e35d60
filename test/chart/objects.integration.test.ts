/** The rendered objects, checked for what a platform engineer relies on. */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { purchaseRoutes } from '@boxoffice/purchase-api/routes';
import { queryRoutes } from '@boxoffice/query-api/routes';
import { dependencies, eventually } from '@boxoffice/testkit';
import { Redis } from 'ioredis';
import {
  ciValueFiles,
  find,
  helm,
  chartDir,
  plainEnv,
  podTemplate,
  render,
  renderText,
  type Container,
  type KubeObject,
} from './helm.ts';
import { backendOf, type Ingress } from './ingress-routing.ts';
import { installPrometheusOperatorCrds } from './kube.ts';

const workloads = (objects: KubeObject[]): KubeObject[] => objects.filter((o) => o.kind === 'Deployment');
const containerOf = (objects: KubeObject[], component: string): Container =>
  podTemplate(find(objects, 'Deployment', `-${component}`)).spec.containers[0]!;

/** The restricted profile, container level, as this chart states it (checked by the API server in dry-run.integration.test.ts). */
function expectRestricted(securityContext: Record<string, unknown> | undefined): void {
  expect(securityContext).toMatchObject({
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(securityContext?.runAsUser).toEqual(expect.any(Number));
}

function expectRequestsAndLimits(resources: Container['resources']): void {
  for (const kind of ['requests', 'limits'] as const) {
    expect(Object.keys(resources?.[kind] ?? {}).sort()).toEqual(['cpu', 'memory']);
  }
}

describe.each([undefined, ...ciValueFiles])('every workload rendered with %s', (valuesFile) => {
  it('runs restricted: non-root, read-only root with an emptyDir /tmp, no capabilities, seccomp, requests and limits', async () => {
    const objects = await render({ valuesFile });
    for (const workload of workloads(objects)) {
      const pod = podTemplate(workload).spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
      for (const container of pod.containers) {
        expectRestricted(container.securityContext);
        expectRequestsAndLimits(container.resources);
        expect((container as { volumeMounts?: unknown }).volumeMounts).toEqual([
          { name: 'tmp', mountPath: '/tmp' },
        ]);
      }
    }
  });

  it('gives the operator restricted allocators with requests and limits', async () => {
    const env = plainEnv(containerOf(await render({ valuesFile }), 'operator'));
    expectRestricted(JSON.parse(env.ALLOCATOR_SECURITY_CONTEXT!) as Record<string, unknown>);
    expectRequestsAndLimits(JSON.parse(env.ALLOCATOR_RESOURCES!) as Container['resources']);
  });
});

describe('images', () => {
  it("run the one platform image, tagged with the chart's appVersion, each component with its entrypoint", async () => {
    const objects = await render();
    const expected = {
      operator: ['operator'],
      'purchase-api': ['purchase-api'],
      'query-api': ['query-api'],
      analytics: ['analytics'],
    };
    for (const [component, args] of Object.entries(expected)) {
      expect(containerOf(objects, component)).toMatchObject({
        image: 'ghcr.io/boxoffice-dev/boxoffice:0.1.0',
        args,
      });
    }
    const env = plainEnv(containerOf(objects, 'operator'));
    expect(env).toMatchObject({
      ALLOCATOR_IMAGE: 'ghcr.io/boxoffice-dev/boxoffice:0.1.0',
      ALLOCATOR_IMAGE_PULL_POLICY: 'IfNotPresent',
      ALLOCATOR_ARGS: '["allocator"]',
    });
  });

  it('are pinned by digest, and the allocator image and pull policy can differ', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const objects = await render({ set: { 'image.digest': digest } });
    expect(containerOf(objects, 'query-api').image).toBe(`ghcr.io/boxoffice-dev/boxoffice@${digest}`);
    expect(plainEnv(containerOf(objects, 'operator')).ALLOCATOR_IMAGE).toBe(
      `ghcr.io/boxoffice-dev/boxoffice@${digest}`,
    );

    const env = plainEnv(
      containerOf(await render({ valuesFile: 'existing-secrets-values.yaml' }), 'operator'),
    );
    expect(env.ALLOCATOR_IMAGE).toBe(
      'registry.example.com/boxoffice/allocator@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    );
    expect(env.ALLOCATOR_IMAGE_PULL_POLICY).toBe('Always');
    expect(JSON.parse(env.ALLOCATOR_RESOURCES!)).toEqual({
      requests: { cpu: '500m', memory: '256Mi' },
      limits: { cpu: '2', memory: '1Gi' },
    });
  });
});

describe('allocator pull secrets', () => {
  it("are the chart's imagePullSecrets, handed to the operator for the allocator pods", async () => {
    const env = (objects: KubeObject[]) => plainEnv(containerOf(objects, 'operator'));
    expect(env(await render())).not.toHaveProperty('ALLOCATOR_IMAGE_PULL_SECRETS');
    const objects = await render({ set: { 'imagePullSecrets[0].name': 'registry-credentials' } });
    expect(JSON.parse(env(objects).ALLOCATOR_IMAGE_PULL_SECRETS!)).toEqual([
      { name: 'registry-credentials' },
    ]);
  });
});

describe('credentials', () => {
  it("keep the allocators' Kafka principal given as values in the chart's Secret, and point the operator at it", async () => {
    const objects = await render({
      valuesFile: 'minimal-values.yaml',
      set: { 'kafka.allocatorUsername': 'boxoffice-allocator', 'kafka.allocatorPassword': 'allocator-pw' },
    });
    const secret = find(objects, 'Secret') as unknown as {
      data: Record<string, string>;
      metadata: { name: string };
    };
    const decoded = (key: string) => Buffer.from(secret.data[key]!, 'base64').toString();
    expect([decoded('KAFKA_SASL_USERNAME'), decoded('KAFKA_SASL_PASSWORD')]).toEqual([
      'boxoffice-allocator',
      'allocator-pw',
    ]);
    const operator = containerOf(objects, 'operator');
    expect(plainEnv(operator).ALLOCATOR_KAFKA_SECRET).toBe(secret.metadata.name);
    expect(JSON.stringify(operator)).not.toContain('allocator-pw');
    // A Secret of the user's instead: the chart keeps nothing of it.
    const own = await render({
      valuesFile: 'minimal-values.yaml',
      set: { 'kafka.allocatorSecret': 'allocator-kafka', 'kafka.allocatorUsername': 'ignored' },
    });
    expect(plainEnv(containerOf(own, 'operator')).ALLOCATOR_KAFKA_SECRET).toBe('allocator-kafka');
    expect((find(own, 'Secret') as unknown as { data: object }).data).not.toHaveProperty(
      'KAFKA_SASL_USERNAME',
    );
  });

  it("give KEDA's Kafka principal a Secret of its own and a TriggerAuthentication beside the allocators, named to the operator", async () => {
    const objects = await render({
      valuesFile: 'minimal-values.yaml',
      set: { 'keda.kafka.username': 'boxoffice-keda', 'keda.kafka.password': 'keda-pw' },
    });
    const secret = find(objects, 'Secret', '-keda-kafka') as unknown as {
      data: Record<string, string>;
      metadata: { name: string; namespace: string };
    };
    expect(Object.keys(secret.data).sort()).toEqual(['password', 'username']);
    expect(Buffer.from(secret.data.password!, 'base64').toString()).toBe('keda-pw');
    const authentication = find(objects, 'TriggerAuthentication') as unknown as {
      metadata: { name: string; namespace: string };
      spec: { secretTargetRef: { parameter: string; name: string; key: string }[] };
    };
    const operator = containerOf(objects, 'operator');
    // Where the operator writes the ScaledObjects that name it: the allocators' namespace.
    expect(authentication.metadata.namespace).toBe(plainEnv(operator).ALLOCATOR_NAMESPACE);
    expect(secret.metadata.namespace).toBe(authentication.metadata.namespace);
    expect(
      authentication.spec.secretTargetRef.map((ref) => `${ref.parameter}=${ref.name}/${ref.key}`),
    ).toEqual([`username=${secret.metadata.name}/username`, `password=${secret.metadata.name}/password`]);
    expect(plainEnv(operator)).toMatchObject({
      KEDA_KAFKA_TRIGGER_AUTHENTICATION: authentication.metadata.name,
      KEDA_KAFKA_TRIGGER_AUTHENTICATION_KIND: 'TriggerAuthentication',
    });
    expect(JSON.stringify(operator)).not.toContain('keda-pw');
    // By default nothing for KEDA (brokers without SASL), and a username alone is refused.
    const plain = await render({ valuesFile: 'minimal-values.yaml' });
    expect(plain.filter((object) => object.kind === 'TriggerAuthentication')).toEqual([]);
    expect(plainEnv(containerOf(plain, 'operator'))).not.toHaveProperty('KEDA_KAFKA_TRIGGER_AUTHENTICATION');
    await expect(
      renderText({ valuesFile: 'minimal-values.yaml', set: { 'keda.kafka.username': 'boxoffice-keda' } }),
    ).rejects.toThrow('keda.kafka.username needs keda.kafka.password');
  });

  it("come from the chart's Secret when given as values, never as plain env", async () => {
    const objects = await render({ valuesFile: 'minimal-values.yaml' });
    const secret = find(objects, 'Secret') as unknown as {
      data: Record<string, string>;
      metadata: { name: string; namespace: string };
    };
    const decoded = Object.fromEntries(
      Object.entries(secret.data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]),
    );
    expect(decoded).toEqual({
      DATABASE_URL: 'postgres://boxoffice:boxoffice@postgresql.databases.svc:5432/boxoffice',
      REDIS_URL: 'redis://redis.databases.svc:6379',
      JWT_SECRET: 'ci-jwt-secret-at-least-32-characters-long',
      WEBHOOK_SECRET: 'ci-webhook-secret-0123456789',
    });
    for (const workload of workloads(objects)) {
      const container = podTemplate(workload).spec.containers[0]!;
      for (const name of Object.keys(decoded)) expect(plainEnv(container)).not.toHaveProperty(name);
    }
    expect(containerOf(objects, 'purchase-api').env).toContainEqual({
      name: 'WEBHOOK_SECRET',
      valueFrom: { secretKeyRef: { name: secret.metadata.name, key: 'WEBHOOK_SECRET' } },
    });
    // Allocators get the Secrets' references from the operator, not the URLs, and run beside them.
    const operator = plainEnv(containerOf(objects, 'operator'));
    expect(JSON.parse(operator.ALLOCATOR_SECRET_ENV!)).toEqual({
      DATABASE_URL: `${secret.metadata.name}/DATABASE_URL`,
      REDIS_URL: `${secret.metadata.name}/REDIS_URL`,
    });
    expect(operator.ALLOCATOR_NAMESPACE).toBe(secret.metadata.namespace);
  });

  it('come from existing Secrets when named, and then the chart writes no Secret', async () => {
    const objects = await render({ valuesFile: 'existing-secrets-values.yaml' });
    expect(objects.map((o) => o.kind)).not.toContain('Secret');
    const refs = (component: string) =>
      Object.fromEntries(
        (containerOf(objects, component).env ?? []).flatMap((e) =>
          e.valueFrom?.secretKeyRef ? [[e.name, e.valueFrom.secretKeyRef]] : [],
        ),
      );
    expect(refs('purchase-api')).toEqual({
      DATABASE_URL: { name: 'platform-postgresql', key: 'url' },
      REDIS_URL: { name: 'platform-redis', key: 'url' },
      WEBHOOK_SECRET: { name: 'payment-provider', key: 'signing-secret' },
    });
    expect(JSON.parse(plainEnv(containerOf(objects, 'operator')).ALLOCATOR_SECRET_ENV!)).toEqual({
      DATABASE_URL: 'platform-postgresql/url',
      REDIS_URL: 'platform-redis/url',
    });
    for (const component of ['operator', 'purchase-api', 'query-api', 'analytics']) {
      expect((containerOf(objects, component) as { envFrom?: unknown }).envFrom).toEqual([
        { secretRef: { name: 'platform-kafka-credentials' } },
      ]);
    }
  });

  it('rolls the pods when the chart Secret changes (a checksum annotation)', async () => {
    const checksum = async (secret: string) =>
      podTemplate(find(await render({ set: { 'webhook.secret': secret } }), 'Deployment', '-purchase-api'))
        .metadata.annotations?.['checksum/secret'];
    const before = await checksum('a-webhook-secret-one');
    expect(before).toMatch(/^[a-f0-9]{64}$/);
    expect(await checksum('a-webhook-secret-two')).not.toBe(before);
  });
});

describe('the analytics consumer', () => {
  const secretKeyOf = (container: Container, name: string) =>
    (container.env as { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[]).find(
      (e) => e.name === name,
    )?.valueFrom?.secretKeyRef;

  it('runs as its own Kafka principal from the chart Secret, with PostgreSQL and no Redis credential, and no API token', async () => {
    const objects = await render({
      set: {
        'kafka.analyticsUsername': 'boxoffice-analytics',
        'kafka.analyticsPassword': 'analytics-password',
      },
    });
    const deployment = find(objects, 'Deployment', '-analytics');
    const pod = podTemplate(deployment).spec as {
      serviceAccountName?: string;
      automountServiceAccountToken?: boolean;
    };
    expect(pod).toMatchObject({
      serviceAccountName: 'boxoffice-analytics',
      automountServiceAccountToken: false,
    });
    expect(find(objects, 'ServiceAccount', '-analytics')).toMatchObject({
      automountServiceAccountToken: false,
    });
    const container = containerOf(objects, 'analytics');
    expect(container.args).toEqual(['analytics']);
    expect(secretKeyOf(container, 'KAFKA_SASL_USERNAME')).toEqual({
      name: 'boxoffice',
      key: 'ANALYTICS_KAFKA_SASL_USERNAME',
    });
    expect(secretKeyOf(container, 'KAFKA_SASL_PASSWORD')).toEqual({
      name: 'boxoffice',
      key: 'ANALYTICS_KAFKA_SASL_PASSWORD',
    });
    expect(secretKeyOf(container, 'DATABASE_URL')).toEqual({ name: 'boxoffice', key: 'DATABASE_URL' });
    expect(secretKeyOf(container, 'REDIS_URL')).toBeUndefined();
    const secret = find(objects, 'Secret', 'boxoffice') as unknown as { data: Record<string, string> };
    expect(Buffer.from(secret.data.ANALYTICS_KAFKA_SASL_PASSWORD!, 'base64').toString()).toBe(
      'analytics-password',
    );
    // The allocators' keys are not the analytics principal's.
    expect(secret.data).not.toHaveProperty('KAFKA_SASL_PASSWORD');
  });

  it("reads its principal from the user's Secret after the shared one, and is gone when switched off", async () => {
    const own = await render({
      set: { 'kafka.existingSecret': 'shared-kafka', 'kafka.analyticsSecret': 'analytics-kafka' },
    });
    expect((containerOf(own, 'analytics') as { envFrom?: unknown }).envFrom).toEqual([
      { secretRef: { name: 'shared-kafka' } },
      { secretRef: { name: 'analytics-kafka' } },
    ]);
    expect(secretKeyOf(containerOf(own, 'analytics'), 'KAFKA_SASL_USERNAME')).toBeUndefined();
    const off = await render({
      set: { 'analytics.enabled': 'false', 'monitoring.podMonitor.enabled': 'true' },
    });
    expect(off.filter((o) => o.metadata.name.endsWith('-analytics'))).toEqual([]);
  });
});

describe('tracing', () => {
  it('exports from every component, with the sampler of the values, once an endpoint is given; otherwise not at all', async () => {
    const on = await render({ valuesFile: 'everything-on-values.yaml' });
    for (const component of ['operator', 'purchase-api', 'query-api', 'analytics'])
      expect(plainEnv(containerOf(on, component))).toMatchObject({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability.svc:4318',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.1',
      });
    const off = plainEnv(containerOf(await render(), 'purchase-api'));
    expect(off.OTEL_TRACES_EXPORTER).toBe('none');
    expect(Object.keys(off).filter((name) => name.startsWith('OTEL_TRACES_SAMPLER'))).toEqual([]);
  });
});

describe('scaling and disruption', () => {
  it('gives the APIs HorizontalPodAutoscalers (no fixed replicas) and every Deployment a PodDisruptionBudget', async () => {
    const objects = await render();
    for (const component of ['purchase-api', 'query-api']) {
      expect(find(objects, 'HorizontalPodAutoscaler', `-${component}`)).toMatchObject({
        spec: { minReplicas: 2, scaleTargetRef: { kind: 'Deployment', name: `boxoffice-${component}` } },
      });
      expect(find(objects, 'Deployment', `-${component}`).spec).not.toHaveProperty('replicas');
    }
    expect(find(objects, 'Deployment', '-operator').spec).toMatchObject({ replicas: 2 });
    const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name);
    expect(budgets.sort()).toEqual(['boxoffice-operator', 'boxoffice-purchase-api', 'boxoffice-query-api']);
  });

  it('runs fixed replicas without autoscalers or budgets in the minimal set', async () => {
    const objects = await render({ valuesFile: 'minimal-values.yaml' });
    const kinds = objects.map((o) => o.kind);
    expect(kinds).not.toContain('HorizontalPodAutoscaler');
    expect(kinds).not.toContain('PodDisruptionBudget');
    expect(find(objects, 'Deployment', '-query-api').spec).toMatchObject({ replicas: 1 });
  });
});

describe('optional objects', () => {
  it('are all off by default: no Ingress, NetworkPolicy or Prometheus Operator objects', async () => {
    const kinds = new Set((await render()).map((o) => o.kind));
    for (const kind of ['Ingress', 'NetworkPolicy', 'ServiceMonitor', 'PodMonitor', 'PrometheusRule']) {
      expect(kinds).not.toContain(kind);
    }
  });

  it('are all there with everything on, the monitors carrying their selection labels', async () => {
    const objects = await render({ valuesFile: 'everything-on-values.yaml' });
    const names = (kind: string) =>
      objects
        .filter((o) => o.kind === kind)
        .map((o) => o.metadata.name)
        .sort();
    expect(names('Ingress')).toEqual(['boxoffice']);
    expect(names('NetworkPolicy')).toEqual([
      'boxoffice-analytics',
      'boxoffice-operator',
      'boxoffice-purchase-api',
      'boxoffice-query-api',
    ]);
    expect(names('ServiceMonitor')).toEqual(['boxoffice']);
    expect(names('PodMonitor')).toEqual([
      'boxoffice-allocators',
      'boxoffice-analytics',
      'boxoffice-operators',
    ]);
    expect(names('PrometheusRule')).toEqual(['boxoffice']);
    for (const kind of ['ServiceMonitor', 'PodMonitor', 'PrometheusRule']) {
      for (const object of objects.filter((o) => o.kind === kind)) {
        expect(object.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
      }
    }
  });

  it('admit API clients to the APIs and only scrapers to the operator and analytics', async () => {
    const objects = await render({ valuesFile: 'everything-on-values.yaml' });
    const from = (component: string) =>
      (
        find(objects, 'NetworkPolicy', `-${component}`) as unknown as {
          spec: { ingress: { from: unknown[] }[] };
        }
      ).spec.ingress[0]!.from;
    const ingressNginx = {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
    };
    const monitoring = {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
    };
    expect(from('purchase-api')).toEqual([ingressNginx, monitoring]);
    expect(from('operator')).toEqual([monitoring]);
    expect(from('analytics')).toEqual([monitoring]);
  });
});

describe('the Ingress', () => {
  /** Every operation both APIs serve, from their route definitions (inert dependencies: nothing is called). */
  function operations(): { method: string; path: string; service: string }[] {
    const redis = new Redis({ lazyConnect: true });
    const inert = {} as never;
    const purchase = purchaseRoutes({
      orders: inert,
      waitingList: inert,
      pool: inert,
      verifier: inert,
      redis,
      webhookSecret: 'x'.repeat(16),
      perBuyerPerSecond: 1,
      outcomes: inert,
    });
    const query = queryRoutes({ pool: inert, verifier: inert, perBuyer: [], streams: inert });
    redis.disconnect();
    return [
      ...purchase.map((route) => ({ method: route.method, path: route.path, service: 'purchase-api' })),
      ...query.map((route) => ({ method: route.method, path: route.path, service: 'query-api' })),
    ];
  }

  it('sends every operation to an API that serves it, releases and order reads included', async () => {
    const ingress = find(
      await render({ valuesFile: 'everything-on-values.yaml' }),
      'Ingress',
    ) as unknown as Ingress;
    const all = operations();
    // Several APIs may serve one operation (GET /v1/orders/{orderId}: both); the backend must be one.
    const servedBy = (op: { method: string; path: string }): string[] =>
      all.filter((o) => o.method === op.method && o.path === op.path).map((o) => `boxoffice-${o.service}`);
    const misrouted = all
      .map((op) => ({ ...op, sample: op.path.replace(/\{[^}]+\}/g, 'x1') }))
      .map((op) => ({ ...op, backend: backendOf(ingress, op.sample)?.service.name }))
      .filter((op) => !servedBy(op).includes(op.backend ?? ''));
    expect(misrouted).toEqual([]);
    // The Ingress routes by path only: GET (order lookup) and DELETE (release) of one order share
    // a path, so it goes to purchase-api, which serves both; the order's sub-resources stay reads.
    expect(backendOf(ingress, '/v1/orders/x1')?.service.name).toBe('boxoffice-purchase-api');
    expect(backendOf(ingress, '/v1/orders/x1/tickets')?.service.name).toBe('boxoffice-query-api');
    expect(backendOf(ingress, '/v1/me/orders')?.service.name).toBe('boxoffice-query-api');
  });

  it('serves every host, with TLS and the class', async () => {
    const ingress = find(await render({ valuesFile: 'everything-on-values.yaml' }), 'Ingress') as unknown as {
      spec: { ingressClassName: string; tls: unknown[]; rules: { host: string }[] };
    };
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.rules.map((rule) => rule.host)).toEqual([
      'tickets.example.com',
      'www.tickets.example.com',
    ]);
    expect(ingress.spec.tls).toEqual([
      { secretName: 'tickets-example-com-tls', hosts: ['tickets.example.com', 'www.tickets.example.com'] },
    ]);
  });
});

describe('NOTES.txt', () => {
  // Helm maps every object of the everything-on values to an API, the monitoring kinds included:
  // this suite installs their CRDs itself rather than rely on the dry-run suite having run first.
  beforeAll(installPrometheusOperatorCrds, 120_000);

  const notes = async (...args: string[]): Promise<string> => {
    // A client-side dry run still reads the API server's version and discovery (kubeVersion,
    // Capabilities), which can fail for a moment while another suite adds a CRD: retried.
    const kubeconfig = dependencies().kubeconfig;
    const result = await eventually(async () => {
      const attempt = await helm(
        'install',
        'notes',
        chartDir,
        '--dry-run=client',
        '--kubeconfig',
        kubeconfig,
        // Even a dry run refuses to take over objects another tool created: the operator suites
        // apply the CRD and the boxoffice-operator ClusterRole with kubectl on this API server.
        '--set',
        'crds.install=false',
        ...args,
      );
      expect({ code: attempt.code, stderr: attempt.stderr }).toEqual({ code: 0, stderr: '' });
      return attempt;
    });
    return result.stdout.slice(result.stdout.indexOf('NOTES:'));
  };

  it('says what is not configured yet, how to declare an event and where the API is', async () => {
    const text = await notes('--namespace', 'boxoffice');
    expect(text).toContain('NOT CONFIGURED');
    expect(text).toContain('postgresql.url or postgresql.existingSecret');
    expect(text).toContain('kubectl wait --for=condition=Ready -n demo tev/spring-concert');
    expect(text).toContain('port-forward svc/notes-boxoffice-purchase-api 8080:80');
  });

  it('gives the Ingress URLs, and no warning, once configured', async () => {
    const text = await notes(
      '--namespace',
      'boxoffice',
      '--values',
      `${chartDir}/ci/everything-on-values.yaml`,
    );
    expect(text).not.toContain('NOT CONFIGURED');
    expect(text).toContain('https://tickets.example.com/v1/events/<ns>/<name>/orders');
  });
});

describe('rolling updates', () => {
  it('count a new pod available only after minReadySeconds when set (Kubernetes’ default, none, otherwise)', async () => {
    const set = await render({
      set: {
        'operator.minReadySeconds': '2',
        'purchaseApi.minReadySeconds': '3',
        'queryApi.minReadySeconds': '4',
      },
    });
    const minReady = (objects: KubeObject[], component: string) =>
      (find(objects, 'Deployment', `-${component}`).spec as { minReadySeconds?: number }).minReadySeconds;
    expect(['operator', 'purchase-api', 'query-api'].map((c) => minReady(set, c))).toEqual([2, 3, 4]);
    const defaults = await render();
    expect(['operator', 'purchase-api', 'query-api'].map((c) => minReady(defaults, c))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});

import {
  containerProbes,
  RESTRICTED_CONTAINER_SECURITY_CONTEXT,
  tmpVolume,
  tmpVolumeMount,
} from '@boxoffice/conventions';
import { describe, expect, it } from '@jest/globals';
import { operatorConfig } from '../config.ts';
import { sampleConfig, sampleConfigEnv, sampleEvent } from './fixtures.ts';
import { allocatorName, desiredAllocatorDeployment, desiredScaledObject } from './index.ts';

type Deployment = {
  metadata: { name: string; namespace: string; labels: Record<string, string>; ownerReferences?: unknown[] };
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: { env: { name: string; value?: string; valueFrom?: unknown }[] }[] };
    };
  };
};

describe('the desired allocator Deployment', () => {
  it('leaves replicas to KEDA when autoscaled', () => {
    const deployment = desiredAllocatorDeployment(sampleEvent(), sampleConfig(), { autoscaled: true });
    expect(deployment).toMatchSnapshot();
    expect((deployment as Deployment).spec).not.toHaveProperty('replicas');
  });

  it('runs a fixed number of replicas (maxReplicas, at least one) without KEDA', () => {
    const fixed = (allocator: { minReplicas: number; maxReplicas: number; lagThreshold: number }) =>
      (
        desiredAllocatorDeployment(sampleEvent({ allocator }), sampleConfig(), {
          autoscaled: false,
        }) as Deployment
      ).spec.replicas;
    expect(fixed({ minReplicas: 0, maxReplicas: 3, lagThreshold: 10 })).toBe(3);
    expect(fixed({ minReplicas: 0, maxReplicas: 1, lagThreshold: 10 })).toBe(1);
  });

  it("runs in the platform's namespace, labelled with its event, and selects only its own pods", () => {
    const deployment = desiredAllocatorDeployment(sampleEvent(), sampleConfig(), {
      autoscaled: true,
    }) as Deployment;
    // No ownerReference: one to an event in another namespace would be garbage-collected at once.
    expect(deployment.metadata).not.toHaveProperty('ownerReferences');
    expect(deployment.metadata).toMatchObject({
      name: allocatorName({ namespace: 'demo', name: 'gala' }),
      namespace: 'boxoffice',
      labels: {
        'app.kubernetes.io/name': 'boxoffice-allocator',
        'app.kubernetes.io/part-of': 'boxoffice',
        'app.kubernetes.io/component': 'allocator',
        'app.kubernetes.io/managed-by': 'boxoffice-operator',
        'boxoffice.dev/event-namespace': 'demo',
        'boxoffice.dev/event-name': 'gala',
      },
    });
    // Events of the same name in two namespaces meet here: the selector names both parts.
    expect(deployment.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/component': 'allocator',
      'boxoffice.dev/event-namespace': 'demo',
      'boxoffice.dev/event-name': 'gala',
    });
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    const elsewhere = desiredAllocatorDeployment(
      sampleEvent(),
      sampleConfig({ ALLOCATOR_NAMESPACE: 'boxoffice-allocators' }),
      { autoscaled: true },
    ) as Deployment;
    expect(elsewhere.metadata.namespace).toBe('boxoffice-allocators');
  });

  it('takes every credential from a Secret of the platform namespace, never as plain text', () => {
    const config = sampleConfig({
      ALLOCATOR_SECRET_ENV: JSON.stringify({
        DATABASE_URL: 'boxoffice-db/url',
        REDIS_URL: 'boxoffice',
      }),
    });
    const deployment = desiredAllocatorDeployment(sampleEvent(), config, { autoscaled: true }) as Deployment;
    const env = deployment.spec.template.spec.containers[0]!.env;
    expect(env.filter((e) => e.valueFrom)).toEqual([
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'boxoffice-db', key: 'url' } } },
      { name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: 'boxoffice', key: 'REDIS_URL' } } },
    ]);
    // The operator's own URLs appear nowhere in what organizers' tools could ever be shown.
    expect(JSON.stringify(deployment)).not.toContain(config.DATABASE_URL);
    expect(JSON.stringify(deployment)).not.toContain(config.REDIS_URL);
  });

  it('refuses at start a credential mapping without DATABASE_URL or REDIS_URL, or one that replaces a setting', () => {
    const problems = (env: Record<string, string | undefined>): string[] => {
      const parsed = operatorConfig.safeParse({ ...sampleConfigEnv(), ...env });
      return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems({ ALLOCATOR_SECRET_ENV: '{"DATABASE_URL":"db"}' })).toEqual([
      'ALLOCATOR_SECRET_ENV: needs REDIS_URL',
    ]);
    expect(
      problems({ ALLOCATOR_SECRET_ENV: '{"DATABASE_URL":"db","REDIS_URL":"r","EVENT_NAME":"x"}' }),
    ).toEqual(['ALLOCATOR_SECRET_ENV: EVENT_NAME is not a credential']);
    expect(problems({ ALLOCATOR_SECRET_ENV: '{"DATABASE_URL":"Db/x","REDIS_URL":"r"}' })).toEqual([
      'ALLOCATOR_SECRET_ENV.DATABASE_URL: expected <secret-name>[/<key>]',
    ]);
    expect(problems({ ALLOCATOR_SECRET_ENV: undefined })).toEqual([
      expect.stringMatching(/^ALLOCATOR_SECRET_ENV: /),
    ]);
  });

  it("passes the operator's tracing settings (OTEL_*) on to the allocator pods, and none it lacks", () => {
    const env = (
      desiredAllocatorDeployment(
        sampleEvent(),
        sampleConfig({
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.observability:4318',
          OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: '0.1',
        }),
        { autoscaled: true },
      ) as Deployment
    ).spec.template.spec.containers[0]!.env;
    expect(env.filter((e) => e.name.startsWith('OTEL_'))).toEqual([
      { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://collector.observability:4318' },
      { name: 'OTEL_TRACES_SAMPLER', value: 'parentbased_traceidratio' },
      { name: 'OTEL_TRACES_SAMPLER_ARG', value: '0.1' },
    ]);
  });

  it("takes the allocator's pull policy, args, resources and security context from the config (the chart's values)", () => {
    const restricted = {
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    };
    const resources = { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '2', memory: '1Gi' } };
    const deployment = desiredAllocatorDeployment(
      sampleEvent(),
      sampleConfig({
        ALLOCATOR_IMAGE_PULL_POLICY: 'Always',
        ALLOCATOR_ARGS: '["allocator"]',
        ALLOCATOR_RESOURCES: JSON.stringify(resources),
        ALLOCATOR_SECURITY_CONTEXT: JSON.stringify(restricted),
      }),
      { autoscaled: true },
    ) as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    expect(deployment.spec.template.spec.containers[0]).toMatchObject({
      imagePullPolicy: 'Always',
      args: ['allocator'],
      resources,
      securityContext: restricted,
    });
  });

  it('gives allocator pods the pull secrets configured (the chart passes its imagePullSecrets)', () => {
    const podSpec = (env: Record<string, string>) =>
      (
        desiredAllocatorDeployment(sampleEvent(), sampleConfig(env), { autoscaled: true }) as {
          spec: { template: { spec: Record<string, unknown> } };
        }
      ).spec.template.spec;
    expect(
      podSpec({ ALLOCATOR_IMAGE_PULL_SECRETS: '[{"name":"registry-credentials"}]' }).imagePullSecrets,
    ).toEqual([{ name: 'registry-credentials' }]);
    expect(podSpec({})).not.toHaveProperty('imagePullSecrets');
  });

  it('refuses an allocator setting that is not valid JSON at start, naming the key', () => {
    expect(() => sampleConfig({ ALLOCATOR_RESOURCES: '{requests' })).toThrow(/ALLOCATOR_RESOURCES/);
  });

  it("gives allocator pods their own Kafka principal from a Secret, with the operator's mechanism and TLS", () => {
    const config = sampleConfig({
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'boxoffice-operator',
      KAFKA_SASL_PASSWORD: 'operator-password',
      KAFKA_TLS: 'true',
      ALLOCATOR_KAFKA_SECRET: 'boxoffice-allocator-kafka',
    });
    const env = (desiredAllocatorDeployment(sampleEvent(), config, { autoscaled: true }) as Deployment).spec
      .template.spec.containers[0]!.env;
    const ref = (key: string, optional?: boolean) => ({
      secretKeyRef: { name: 'boxoffice-allocator-kafka', key, ...(optional ? { optional } : {}) },
    });
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(env.filter((e) => e.name.startsWith('KAFKA_') && e.name !== 'KAFKA_BROKERS').sort(byName)).toEqual(
      [
        { name: 'KAFKA_SASL_MECHANISM', value: 'SCRAM-SHA-512' },
        { name: 'KAFKA_SASL_PASSWORD', valueFrom: ref('KAFKA_SASL_PASSWORD') },
        { name: 'KAFKA_SASL_USERNAME', valueFrom: ref('KAFKA_SASL_USERNAME') },
        { name: 'KAFKA_TLS', value: 'true' },
        { name: 'KAFKA_TLS_CA', valueFrom: ref('KAFKA_TLS_CA', true) },
      ],
    );
    // The operator's own credentials never reach an allocator pod.
    expect(JSON.stringify(env)).not.toMatch(/operator-password|boxoffice-operator/);
  });

  it('gives allocator pods no Kafka principal without SASL, and refuses to start with SASL but no Secret for it', () => {
    const kafkaEnv = (extra: Record<string, string>) =>
      (
        desiredAllocatorDeployment(sampleEvent(), sampleConfig(extra), { autoscaled: true }) as Deployment
      ).spec.template.spec.containers[0]!.env.filter((e) => e.name.startsWith('KAFKA_SASL'));
    expect(kafkaEnv({})).toEqual([]);
    // Never as plain env, not even locally: the principal comes from a Secret or the operator stops.
    expect(() =>
      sampleConfig({
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'op',
        KAFKA_SASL_PASSWORD: 'pw',
      }),
    ).toThrow(/ALLOCATOR_KAFKA_SECRET/);
    expect(() =>
      sampleConfig({
        ALLOCATOR_SECRET_ENV: JSON.stringify({
          DATABASE_URL: 'db',
          REDIS_URL: 'redis',
          KAFKA_SASL_PASSWORD: 'kafka/password',
        }),
      }),
    ).toThrow(/Kafka credentials come from ALLOCATOR_KAFKA_SECRET/);
  });

  it("runs by the platform's conventions without chart values: restricted, the shared probes on its port, /tmp writable", () => {
    const pod = (
      desiredAllocatorDeployment(sampleEvent(), sampleConfig(), { autoscaled: true }) as {
        spec: { template: { spec: { volumes: unknown[]; containers: Record<string, unknown>[] } } };
      }
    ).spec.template.spec;
    const container = pod.containers[0]!;
    expect(container.securityContext).toEqual(RESTRICTED_CONTAINER_SECURITY_CONTEXT);
    expect(container).toMatchObject(containerProbes(8082));
    expect(container.ports).toEqual([{ containerPort: 8082 }]);
    expect(container.volumeMounts).toEqual([tmpVolumeMount()]);
    expect(pod.volumes).toEqual([tmpVolume()]);
  });

  it('is the same object for the same inputs (so server-side apply is a no-op on resync)', () => {
    const render = () => desiredAllocatorDeployment(sampleEvent(), sampleConfig(), { autoscaled: true });
    expect(render()).toEqual(render());
  });
});

describe("an allocator's name", () => {
  const valid = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

  it('tells events of every namespace apart, even where the dashes of the two parts could be confused', () => {
    const names = [
      { namespace: 'a-b', name: 'c' },
      { namespace: 'a', name: 'b-c' },
      { namespace: 'demo', name: 'gala' },
      { namespace: 'other', name: 'gala' },
    ].map(allocatorName);
    expect(new Set(names).size).toBe(4);
    expect(allocatorName({ namespace: 'demo', name: 'gala' })).toMatch(/^alloc-demo-gala-[0-9a-f]{10}$/);
  });

  it('fits 63 characters (KEDA labels its HPA with it) and stays unique when cut', () => {
    const long = 'x'.repeat(63);
    const names = [`${long}`, `${long.slice(0, 62)}y`].map((name) =>
      allocatorName({ namespace: long, name }),
    );
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(valid);
    }
    expect(names[0]).not.toBe(names[1]);
    expect(allocatorName({ namespace: 'demo', name: 'spring.concert' })).toMatch(valid);
  });

  it('is the same for the same event (the finalizer and the sweep find it by its key)', () => {
    expect(allocatorName({ namespace: 'demo', name: 'gala' })).toBe(
      allocatorName({ namespace: 'demo', name: 'gala' }),
    );
  });
});

describe('the desired KEDA ScaledObject', () => {
  it("scales the allocator on its consumer group's lag with KEDA's apache-kafka trigger", () => {
    expect(desiredScaledObject(sampleEvent(), sampleConfig())).toMatchSnapshot();
  });

  it('takes min and max replicas and the lag threshold from the spec', () => {
    const scaled = desiredScaledObject(
      sampleEvent({ allocator: { minReplicas: 2, maxReplicas: 3, lagThreshold: 25 } }),
      sampleConfig({ CLUSTER_KAFKA_BROKERS: 'kafka.boxoffice.svc:9092' }),
    ) as { spec: { minReplicaCount: number; maxReplicaCount: number; triggers: { metadata: object }[] } };
    expect(scaled.spec).toMatchObject({ minReplicaCount: 2, maxReplicaCount: 3 });
    expect(scaled.spec.triggers[0]!.metadata).toMatchObject({
      lagThreshold: '25',
      bootstrapServers: 'kafka.boxoffice.svc:9092',
    });
  });

  it("polls and cools down as the operator's config says, and leaves KEDA's defaults otherwise", () => {
    const tuned = desiredScaledObject(
      sampleEvent(),
      sampleConfig({ KEDA_POLLING_INTERVAL_SECONDS: '2', KEDA_COOLDOWN_PERIOD_SECONDS: '15' }),
    ) as { spec: Record<string, unknown> };
    expect(tuned.spec).toMatchObject({ pollingInterval: 2, cooldownPeriod: 15 });
    const plain = desiredScaledObject(sampleEvent(), sampleConfig()) as { spec: Record<string, unknown> };
    expect(plain.spec).not.toHaveProperty('pollingInterval');
    expect(plain.spec).not.toHaveProperty('cooldownPeriod');
  });

  it("authenticates KEDA's scaler like the operator (mechanism, TLS) with the platform's TriggerAuthentication, beside the ScaledObject", () => {
    const scaled = desiredScaledObject(
      sampleEvent(),
      sampleConfig({
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'boxoffice-operator',
        KAFKA_SASL_PASSWORD: 'operator-password',
        KAFKA_TLS: 'true',
        ALLOCATOR_KAFKA_SECRET: 'boxoffice-allocator-kafka',
        KEDA_KAFKA_TRIGGER_AUTHENTICATION: 'boxoffice-keda-kafka',
      }),
    ) as { spec: { triggers: { metadata: Record<string, string>; authenticationRef?: unknown }[] } };
    const [trigger] = scaled.spec.triggers;
    expect(trigger!.metadata).toMatchObject({ sasl: 'scram_sha512', tls: 'enable' });
    expect(trigger!.authenticationRef).toEqual({
      name: 'boxoffice-keda-kafka',
      kind: 'TriggerAuthentication',
    });
    expect(JSON.stringify(scaled)).not.toMatch(/operator-password/);
  });

  it('points at a ClusterTriggerAuthentication when so configured (a KEDA restricted to its own Secrets)', () => {
    const scaled = desiredScaledObject(
      sampleEvent(),
      sampleConfig({
        KEDA_KAFKA_TRIGGER_AUTHENTICATION: 'boxoffice-kafka',
        KEDA_KAFKA_TRIGGER_AUTHENTICATION_KIND: 'ClusterTriggerAuthentication',
      }),
    ) as { spec: { triggers: { authenticationRef?: unknown }[] } };
    expect(scaled.spec.triggers[0]!.authenticationRef).toEqual({
      name: 'boxoffice-kafka',
      kind: 'ClusterTriggerAuthentication',
    });
  });

  it('sets no credentials for KEDA without a TriggerAuthentication (brokers without SASL)', () => {
    const scaled = desiredScaledObject(sampleEvent(), sampleConfig()) as {
      spec: { triggers: Record<string, unknown>[] };
    };
    expect(scaled.spec.triggers[0]).not.toHaveProperty('authenticationRef');
  });
});

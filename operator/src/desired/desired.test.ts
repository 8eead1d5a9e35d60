import {
  containerProbes,
  RESTRICTED_CONTAINER_SECURITY_CONTEXT,
  tmpVolume,
  tmpVolumeMount,
} from '@boxoffice/conventions';
import { describe, expect, it } from '@jest/globals';
import { sampleConfig, sampleEvent } from './fixtures.ts';
import { desiredAllocatorDeployment, desiredScaledObject } from './index.ts';

type Deployment = {
  metadata: { ownerReferences: unknown[] };
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

  it('is owned by its TicketEvent as controller, and selects only its own pods', () => {
    const deployment = desiredAllocatorDeployment(sampleEvent(), sampleConfig(), {
      autoscaled: true,
    }) as Deployment;
    expect(deployment.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'boxoffice.dev/v1alpha1',
        kind: 'TicketEvent',
        name: 'gala',
        uid: '0b6a3c1e-5f7d-4c1a-9e61-2b1f5d0c9a77',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(deployment.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/component': 'allocator',
      'boxoffice.dev/event': 'gala',
    });
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
  });

  it('takes DATABASE_URL from a Secret when one is configured, never as plain text', () => {
    const env = (
      desiredAllocatorDeployment(sampleEvent(), sampleConfig({ DATABASE_SECRET: 'boxoffice-db/url' }), {
        autoscaled: true,
      }) as Deployment
    ).spec.template.spec.containers[0]!.env;
    expect(env.find((e) => e.name === 'DATABASE_URL')).toEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'boxoffice-db', key: 'url' } },
    });
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

  it('passes the allocator principal as plain env only when configured so (local), and none without SASL', () => {
    const kafkaEnv = (extra: Record<string, string>) =>
      (
        desiredAllocatorDeployment(sampleEvent(), sampleConfig(extra), { autoscaled: true }) as Deployment
      ).spec.template.spec.containers[0]!.env.filter((e) => e.name.startsWith('KAFKA_SASL')).sort((a, b) =>
        a.name.localeCompare(b.name),
      );
    expect(
      kafkaEnv({
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
        KAFKA_SASL_USERNAME: 'boxoffice-operator',
        KAFKA_SASL_PASSWORD: 'operator-password',
        ALLOCATOR_KAFKA_SASL_USERNAME: 'boxoffice-allocator',
        ALLOCATOR_KAFKA_SASL_PASSWORD: 'allocator-password',
      }),
    ).toEqual([
      { name: 'KAFKA_SASL_MECHANISM', value: 'SCRAM-SHA-256' },
      { name: 'KAFKA_SASL_PASSWORD', value: 'allocator-password' },
      { name: 'KAFKA_SASL_USERNAME', value: 'boxoffice-allocator' },
    ]);
    expect(kafkaEnv({})).toEqual([]);
  });

  it('refuses to start with SASL but no principal for the allocator pods', () => {
    expect(() =>
      sampleConfig({
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'op',
        KAFKA_SASL_PASSWORD: 'pw',
      }),
    ).toThrow(/ALLOCATOR_KAFKA_SECRET/);
    expect(() =>
      sampleConfig({
        ALLOCATOR_KAFKA_SECRET: 'kafka',
        ALLOCATOR_KAFKA_SASL_USERNAME: 'a',
        ALLOCATOR_KAFKA_SASL_PASSWORD: 'b',
      }),
    ).toThrow(/not both/);
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

  it("authenticates KEDA's scaler like the operator (mechanism, TLS) with the platform's ClusterTriggerAuthentication", () => {
    const scaled = desiredScaledObject(
      sampleEvent(),
      sampleConfig({
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'boxoffice-operator',
        KAFKA_SASL_PASSWORD: 'operator-password',
        KAFKA_TLS: 'true',
        ALLOCATOR_KAFKA_SECRET: 'boxoffice-allocator-kafka',
        KEDA_KAFKA_TRIGGER_AUTHENTICATION: 'boxoffice-kafka',
      }),
    ) as { spec: { triggers: { metadata: Record<string, string>; authenticationRef?: unknown }[] } };
    const [trigger] = scaled.spec.triggers;
    expect(trigger!.metadata).toMatchObject({ sasl: 'scram_sha512', tls: 'enable' });
    expect(trigger!.authenticationRef).toEqual({
      name: 'boxoffice-kafka',
      kind: 'ClusterTriggerAuthentication',
    });
    expect(JSON.stringify(scaled)).not.toMatch(/operator-password/);
  });
});

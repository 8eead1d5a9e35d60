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
});

/**
 * What the chart writes a second time must equal its source: the CRD (operator/src/crd/schema.ts),
 * the operator's RBAC (operator/rbac/), and each service's ports, probe paths and env var names
 * (its typed config and health endpoints).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { allocatorConfig } from '@boxoffice/allocator/config';
import { operatorConfig } from '@boxoffice/operator/config';
import { ticketEventCrd } from '@boxoffice/operator/crd/schema';
import { desiredAllocatorDeployment } from '@boxoffice/operator/desired/index';
import { sampleConfig, sampleEvent } from '@boxoffice/operator/desired/fixtures';
import { healthRouter } from '@boxoffice/platform/http/health';
import { startOpsServer } from '@boxoffice/platform/ops-server';
import { purchaseApiConfig } from '@boxoffice/purchase-api/config';
import { queryApiConfig } from '@boxoffice/query-api/config';
import { analyticsConfig } from '@boxoffice/analytics/config';
import express from 'express';
import { Registry } from 'prom-client';
import request from 'supertest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { repoRoot } from '../../scripts/deps/paths.ts';
import { find, podTemplate, render, type Container, type KubeObject } from './helm.ts';

const rulesOf = (file: string): unknown =>
  (parse(readFileSync(join(repoRoot, file), 'utf8')) as { rules: unknown }).rules;
const defaultOf = (schema: z.ZodObject, key: string): unknown => schema.shape[key]!.parse(undefined);

describe('the TicketEvent CRD in the chart', () => {
  it('is the CRD generated from operator/src/crd/schema.ts, plus only the chart labels and keep annotation', async () => {
    const crd = find(await render(), 'CustomResourceDefinition');
    const { labels, annotations, ...metadata } = crd.metadata;
    expect({ ...crd, metadata }).toEqual(ticketEventCrd);
    expect(labels).toMatchObject({
      'app.kubernetes.io/part-of': 'boxoffice',
      'app.kubernetes.io/managed-by': 'Helm',
    });
    expect(annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
  });

  it('is left out with crds.install=false and loses the keep annotation with crds.keep=false', async () => {
    const kinds = (await render({ set: { 'crds.install': 'false' } })).map((object) => object.kind);
    expect(kinds).not.toContain('CustomResourceDefinition');
    const unkept = find(await render({ set: { 'crds.keep': 'false' } }), 'CustomResourceDefinition');
    expect(unkept.metadata.annotations).toBeUndefined();
  });
});

describe("the operator's RBAC in the chart", () => {
  it('grants exactly the rules of operator/rbac/ (what the operator tests run with)', async () => {
    const objects = await render();
    expect(find(objects, 'ClusterRole', '-operator').rules).toEqual(
      rulesOf('operator/rbac/clusterrole.yaml'),
    );
    expect(find(objects, 'Role', '-operator-leader-election').rules).toEqual(
      rulesOf('operator/rbac/leader-election-role.yaml'),
    );
    expect(find(objects, 'Role', '-operator-allocators')).toMatchObject({
      metadata: { namespace: 'boxoffice' },
      rules: rulesOf('operator/rbac/allocators-role.yaml'),
    });
    const subjects = [{ kind: 'ServiceAccount', name: 'boxoffice-operator', namespace: 'boxoffice' }];
    expect(find(objects, 'ClusterRoleBinding', '-operator').subjects).toEqual(subjects);
    expect(find(objects, 'RoleBinding', '-operator-allocators')).toMatchObject({
      metadata: { namespace: 'boxoffice' },
      roleRef: { kind: 'Role', name: 'boxoffice-operator-allocators' },
      subjects,
    });
  });

  it('gives the operator no right on Deployments or Secrets outside the allocator namespace', async () => {
    const clusterRules = find(await render(), 'ClusterRole', '-operator').rules as { resources: string[] }[];
    const resources = clusterRules.flatMap((rule) => rule.resources);
    expect(resources).not.toContain('deployments');
    expect(resources).not.toContain('secrets');
    expect(resources).not.toContain('pods');
  });

  it('puts the allocators, their Role, PodMonitor and Kafka Secret in operator.allocators.namespace, refused without Secrets there', async () => {
    const objects = await render({
      valuesFile: 'existing-secrets-values.yaml',
      set: {
        'operator.allocators.namespace': 'boxoffice-allocators',
        'monitoring.podMonitor.enabled': 'true',
        'kafka.allocatorSecret': 'allocator-kafka',
      },
    });
    const operator = podTemplate(find(objects, 'Deployment', '-operator')).spec.containers[0]!;
    expect(operator.env).toContainEqual({ name: 'ALLOCATOR_NAMESPACE', value: 'boxoffice-allocators' });
    expect(operator.env).toContainEqual({ name: 'ALLOCATOR_KAFKA_SECRET', value: 'allocator-kafka' });
    expect(find(objects, 'Role', '-operator-allocators').metadata.namespace).toBe('boxoffice-allocators');
    expect(find(objects, 'RoleBinding', '-operator-allocators').metadata.namespace).toBe(
      'boxoffice-allocators',
    );
    const monitor = objects.find(
      (o) => o.kind === 'PodMonitor' && o.metadata.name.endsWith('-allocators'),
    ) as { spec: { namespaceSelector: unknown } } | undefined;
    expect(monitor?.spec.namespaceSelector).toEqual({ matchNames: ['boxoffice-allocators'] });
    // The chart's own Secret lives in the release namespace: allocators elsewhere could not read it.
    await expect(
      render({ set: { 'operator.allocators.namespace': 'boxoffice-allocators' } }),
    ).rejects.toThrow(/operator.allocators.namespace boxoffice-allocators is not the release namespace/);
  });

  it('binds the ClusterRole only in the watched namespace when there is one', async () => {
    const objects = await render({ set: { 'operator.watchNamespace': 'organizer-a' } });
    expect(objects.map((object) => object.kind)).not.toContain('ClusterRoleBinding');
    const binding = objects.find((o) => o.kind === 'RoleBinding' && o.metadata.namespace === 'organizer-a');
    expect(binding?.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'boxoffice-operator',
    });
  });
});

/** Each component: its config schema (env names, default port) and the env var naming its port. */
const components: { name: string; config: z.ZodObject; portKey: string }[] = [
  { name: 'purchase-api', config: purchaseApiConfig, portKey: 'PURCHASE_API_PORT' },
  { name: 'query-api', config: queryApiConfig, portKey: 'QUERY_API_PORT' },
  { name: 'operator', config: operatorConfig, portKey: 'PORT' },
  { name: 'analytics', config: analyticsConfig, portKey: 'PORT' },
];
/** Read outside the typed configs: the logger and the OpenTelemetry SDK. */
const runtimeEnv = new Set([
  'LOG_LEVEL',
  'OTEL_SERVICE_NAME',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
]);

const containerOf = (objects: KubeObject[], component: string): Container =>
  podTemplate(find(objects, 'Deployment', `-${component}`)).spec.containers[0]!;

describe.each(components)("$name's Deployment and its service's code", ({ name, config, portKey }) => {
  it("listens where the service listens: the config's default port, named http, behind the Service", async () => {
    const objects = await render({ valuesFile: 'everything-on-values.yaml' });
    const container = containerOf(objects, name);
    const port = defaultOf(config, portKey);
    expect(container.ports).toEqual([{ name: 'http', containerPort: port, protocol: 'TCP' }]);
    expect(container.env).toContainEqual({ name: portKey, value: String(port) });
    if (name !== 'operator' && name !== 'analytics') {
      const service = find(objects, 'Service', `-${name}`) as unknown as {
        spec: { ports: { targetPort: string }[] };
      };
      expect(service.spec.ports.map((p) => p.targetPort)).toEqual(['http']);
    }
  });

  it('sets only env vars the service reads, and every one its config requires', async () => {
    for (const file of ['everything-on-values.yaml', 'existing-secrets-values.yaml']) {
      const container = containerOf(await render({ valuesFile: file }), name);
      const names = (container.env ?? []).map((e) => e.name);
      const known = new Set([...Object.keys(config.shape), ...runtimeEnv]);
      expect(names.filter((env) => !known.has(env) && env !== 'UV_THREADPOOL_SIZE')).toEqual([]);
      const required = Object.keys(config.shape).filter(
        (key) => !config.shape[key]!.safeParse(undefined).success,
      );
      const algorithmNeedsSecret = !names.includes('JWT_JWKS_URL');
      expect(required.filter((key) => !names.includes(key))).toEqual([]);
      if ('JWT_SECRET' in config.shape) expect(names.includes('JWT_SECRET')).toBe(algorithmNeedsSecret);
    }
  });
});

describe('the probes of the chart, against the health endpoints of the code', () => {
  const probePaths = (container: Container): string[] =>
    [container.startupProbe, container.livenessProbe, container.readinessProbe].map((probe) => {
      expect(probe?.httpGet.port).toBe('http');
      return probe!.httpGet.path;
    });

  it('probe paths the APIs answer 200 on (platform/src/http/health.ts)', async () => {
    const objects = await render();
    const app = express().use(healthRouter({ registry: new Registry() }));
    for (const component of ['purchase-api', 'query-api']) {
      for (const path of probePaths(containerOf(objects, component)))
        await request(app).get(path).expect(200);
    }
  });

  it('probe paths the operator and analytics answer 200 on (platform/src/ops-server.ts)', async () => {
    const server = await startOpsServer({ port: 0, host: '127.0.0.1', registry: new Registry(), checks: {} });
    try {
      const { port } = server.address() as AddressInfo;
      const objects = await render();
      for (const component of ['operator', 'analytics'])
        for (const path of probePaths(containerOf(objects, component)))
          expect((await fetch(`http://127.0.0.1:${port}${path}`)).status).toBe(200);
    } finally {
      server.close();
    }
  });

  it("scrapes allocators on the port they listen on (the allocator config's and the operator's)", async () => {
    const monitor = (await render({ set: { 'monitoring.podMonitor.enabled': 'true' } })).find(
      (o) => o.kind === 'PodMonitor' && o.metadata.name.endsWith('-allocators'),
    ) as unknown as {
      spec: { podMetricsEndpoints: { portNumber: number }[]; selector: { matchLabels: object } };
    };
    const port = defaultOf(allocatorConfig, 'PORT');
    expect(monitor.spec.podMetricsEndpoints[0]!.portNumber).toBe(port);
    const allocator = desiredAllocatorDeployment(sampleEvent(), sampleConfig(), {
      autoscaled: true,
    }) as unknown as KubeObject;
    const template = podTemplate(allocator);
    expect(template.spec.containers[0]!.ports).toEqual([{ containerPort: port }]);
    // The selector picks the operator's allocator pods by the labels the operator gives them.
    expect(template.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
  });
});

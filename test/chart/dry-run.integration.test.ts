import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { operatorConfig } from '@boxoffice/operator/config';
import { desiredAllocatorDeployment } from '@boxoffice/operator/desired/index';
import { sampleEvent } from '@boxoffice/operator/desired/fixtures';
import { eventually, kubectl, uniqueName } from '@boxoffice/testkit';
import {
  ciValueFiles,
  find,
  plainEnv,
  podTemplate,
  render,
  renderText,
  type KubeObject,
  type RenderOptions,
} from './helm.ts';
import {
  createServiceAccounts,
  dryRunApply,
  dryRunPods,
  ensureNamespace,
  installPrometheusOperatorCrds,
  restrictedNamespace,
} from './kube.ts';

/** The namespace ci/existing-secrets-values.yaml has the operator watch (a RoleBinding goes there). */
const WATCHED_NAMESPACE = 'boxoffice-ci-organizer';

const valueSets: [string, RenderOptions][] = [
  ['the default values', {}],
  ...ciValueFiles.map((file): [string, RenderOptions] => [`ci/${file}`, { valuesFile: file }]),
];

describe('the rendered chart, applied to the API server with a server-side dry run', () => {
  const namespaces: string[] = [];

  beforeAll(async () => {
    await installPrometheusOperatorCrds();
    await ensureNamespace(WATCHED_NAMESPACE);
  });
  afterAll(async () => {
    for (const namespace of namespaces) await kubectl('delete', 'namespace', namespace, '--wait=false');
  });

  it.each(valueSets)(
    'is accepted whole with %s, in a namespace that enforces the restricted Pod Security Standard',
    async (_name, options) => {
      const namespace = await restrictedNamespace(uniqueName('chart-dry-run'));
      namespaces.push(namespace);
      const manifests = await renderText({ ...options, namespace });
      const objects = await render({ ...options, namespace });

      const result = await dryRunApply(manifests);

      expect(result.stderr).toBe(''); // no refusal, and no "Warning: would violate PodSecurity"
      expect(result.code).toBe(0);
      const applied = result.stdout.trim().split('\n');
      expect(applied).toHaveLength(objects.length);
      for (const line of applied) expect(line).toMatch(/ serverside-applied \(server dry run\)$/);
    },
  );

  it.each(valueSets)('runs pods the restricted namespace admits, with %s', async (_name, options) => {
    const namespace = await restrictedNamespace(uniqueName('chart-pods'));
    namespaces.push(namespace);
    const objects = await render({ ...options, namespace });
    await createServiceAccounts(objects, namespace);
    const deployments = objects.filter((object) => object.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(
      ['analytics', 'operator', 'purchase-api', 'query-api'].map((c) => `boxoffice-${c}`),
    );

    const result = await dryRunPods(deployments, namespace);

    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toHaveLength(deployments.length);
  });

  it("admits the allocator pods the operator writes from the chart's values", async () => {
    const namespace = await restrictedNamespace(uniqueName('chart-allocator'));
    namespaces.push(namespace);
    await eventually(() => kubectl('get', 'serviceaccount', 'default', '-n', namespace));
    const operator = podTemplate(find(await render(), 'Deployment', '-operator')).spec.containers[0]!;
    // The operator's own config, read from the env the chart gives it (secrets stand in as URLs).
    const config = operatorConfig.parse({
      ...plainEnv(operator),
      DATABASE_URL: 'postgres://boxoffice@postgresql:5432/boxoffice',
      REDIS_URL: 'redis://redis:6379',
      KAFKA_BROKERS: 'kafka:9092',
    });
    const event = sampleEvent();
    const allocator = desiredAllocatorDeployment(
      { ...event, metadata: { ...event.metadata, namespace } },
      config,
      { autoscaled: true },
    ) as unknown as KubeObject;

    const result = await dryRunPods([allocator], namespace);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('refuses pods when the security context is loosened (the check above can fail)', async () => {
    const namespace = await restrictedNamespace(uniqueName('chart-loose'));
    namespaces.push(namespace);
    const objects = await render({
      namespace,
      set: { 'securityContext.allowPrivilegeEscalation': 'true', 'securityContext.capabilities.drop': '{}' },
    });
    await createServiceAccounts(objects, namespace);

    const result = await dryRunPods([find(objects, 'Deployment', '-query-api')], namespace);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('violates PodSecurity "restricted:latest"');
    expect(result.stderr).toContain('allowPrivilegeEscalation != false');
  });
});

/**
 * The synthesized platform, applied to the local API server with a server-side dry run (the same
 * helpers as the chart's dry run, test/chart/kube.ts): the API server validates every object
 * strictly and admits every pod in a namespace that enforces the restricted Pod Security Standard.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { kubectl, uniqueName } from '@boxoffice/testkit';
import { ciValueFiles, type KubeObject } from '../../test/chart/helm.ts';
import {
  createServiceAccounts,
  dryRunApply,
  dryRunPods,
  ensureNamespace,
  installPrometheusOperatorCrds,
  restrictedNamespace,
  toYamlStream,
} from '../../test/chart/kube.ts';
import { ciValues, synthesize } from './parity.ts';

/** The namespace ci/existing-secrets-values.yaml has the operator watch (a RoleBinding goes there). */
const WATCHED_NAMESPACE = 'boxoffice-ci-organizer';

const valueSets: [string, Record<string, unknown>][] = [
  ['the default values', {}],
  ...ciValueFiles.map((file): [string, Record<string, unknown>] => [`ci/${file}`, ciValues(file)]),
];

const synthesizeIn = (namespace: string, values: Record<string, unknown>): KubeObject[] =>
  synthesize({ values, namespace, release: 'boxoffice' });

describe('the synthesized platform, applied to the API server with a server-side dry run', () => {
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
    async (_name, values) => {
      const namespace = await restrictedNamespace(uniqueName('cdk8s-dry-run'));
      namespaces.push(namespace);
      const objects = synthesizeIn(namespace, values);

      const result = await dryRunApply(toYamlStream(objects));

      expect(result.stderr).toBe(''); // no refusal, and no "Warning: would violate PodSecurity"
      expect(result.code).toBe(0);
      const applied = result.stdout.trim().split('\n');
      expect(applied).toHaveLength(objects.length);
      for (const line of applied) expect(line).toMatch(/ serverside-applied \(server dry run\)$/);
    },
  );

  it.each(valueSets)('runs pods the restricted namespace admits, with %s', async (_name, values) => {
    const namespace = await restrictedNamespace(uniqueName('cdk8s-pods'));
    namespaces.push(namespace);
    const objects = synthesizeIn(namespace, values);
    await createServiceAccounts(objects, namespace);
    const deployments = objects.filter((object) => object.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.labels?.['app.kubernetes.io/component']).sort()).toEqual([
      'analytics',
      'operator',
      'purchase-api',
      'query-api',
    ]);

    const result = await dryRunPods(deployments, namespace);

    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toHaveLength(deployments.length);
  });

  it('refuses pods when the security context is loosened (the check above can fail)', async () => {
    const namespace = await restrictedNamespace(uniqueName('cdk8s-loose'));
    namespaces.push(namespace);
    const objects = synthesizeIn(namespace, {
      securityContext: { allowPrivilegeEscalation: true, capabilities: { drop: [] } },
    });
    const queryApi = objects.filter((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-query-api'));

    const result = await dryRunPods(queryApi, namespace);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('violates PodSecurity "restricted:latest"');
    expect(result.stderr).toContain('allowPrivilegeEscalation != false');
  });

  it('refuses an object the API server does not know a field of (validation is strict, so it can fail)', async () => {
    const namespace = await restrictedNamespace(uniqueName('cdk8s-strict'));
    namespaces.push(namespace);
    const objects = synthesizeIn(namespace, { operator: { affinity: { nodeAfinity: {} } } });

    const result = await dryRunApply(toYamlStream(objects));

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('.spec.template.spec.affinity.nodeAfinity: field not declared in schema');
  });
});

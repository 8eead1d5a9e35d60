/** kubectl fed with manifests on stdin, against the local API server of the test run. */
import { spawn } from 'node:child_process';
import { createNamespace, dependencies, eventually, kubectl } from '@boxoffice/testkit';
import { stringify } from 'yaml';
import { prometheusOperatorCrdDir } from '../../scripts/deps/paths.ts';
import { podTemplate, type KubeObject } from './helm.ts';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectlWithInput(input: string, ...args: string[]): Promise<KubectlResult> {
  const { kubectl: bin, kubeconfig } = dependencies();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [`--kubeconfig=${kubeconfig}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Server-side apply, dry run: the API server validates (schema, admission) and persists nothing. */
export const dryRunApply = (manifests: string): Promise<KubectlResult> =>
  kubectlWithInput(
    manifests,
    'apply',
    '--server-side',
    '--dry-run=server',
    '--force-conflicts',
    '--field-manager=boxoffice-chart-test',
    '--validate=strict',
    '-f',
    '-',
  );

/**
 * A namespace where the API server enforces the restricted Pod Security Standard (and warns about
 * workloads whose pods it would refuse).
 */
export async function restrictedNamespace(name: string): Promise<string> {
  await createNamespace(name);
  await kubectl(
    'label',
    'namespace',
    name,
    'pod-security.kubernetes.io/enforce=restricted',
    'pod-security.kubernetes.io/enforce-version=latest',
    'pod-security.kubernetes.io/warn=restricted',
    'pod-security.kubernetes.io/warn-version=latest',
  );
  return name;
}

/** A namespace a test needs by a fixed name (e.g. one named in a ci/ value set); kept between runs. */
export async function ensureNamespace(name: string): Promise<void> {
  await kubectl('create', 'namespace', name).catch((error: Error) => {
    if (!error.message.includes('AlreadyExists')) throw error;
  });
}

/** ServiceMonitor, PodMonitor and PrometheusRule, as a cluster with the Prometheus Operator has them. */
export async function installPrometheusOperatorCrds(): Promise<void> {
  await kubectl(
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=boxoffice-test',
    '-f',
    prometheusOperatorCrdDir,
  );
  // `kubectl wait` fails at once on a CRD so new that it has no status yet: wait for that first.
  await eventually(
    () =>
      kubectl(
        'wait',
        '--for=condition=Established',
        '--timeout=60s',
        'crd/servicemonitors.monitoring.coreos.com',
        'crd/podmonitors.monitoring.coreos.com',
        'crd/prometheusrules.monitoring.coreos.com',
      ),
    { timeoutMs: 60_000, intervalMs: 250 },
  );
}

export const toYamlStream = (objects: object[]): string =>
  objects.map((object) => stringify(object)).join('---\n');

/** The pod a workload's template makes, as the ReplicaSet controller would create it. */
function podOf(workload: KubeObject, namespace: string): object {
  const template = podTemplate(workload);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${workload.metadata.name}-pod`, namespace, labels: template.metadata.labels },
    spec: template.spec,
  };
}

/** Pods of every Deployment, created with a server-side dry run in an enforcing namespace. */
export function dryRunPods(workloads: KubeObject[], namespace: string): Promise<KubectlResult> {
  return kubectlWithInput(
    toYamlStream(workloads.map((workload) => podOf(workload, namespace))),
    'create',
    '--dry-run=server',
    '-f',
    '-',
  );
}

/** The ServiceAccounts pods refer to must exist for pod admission (a dry run persists none). */
export async function createServiceAccounts(objects: KubeObject[], namespace: string): Promise<void> {
  await eventually(() => kubectl('get', 'serviceaccount', 'default', '-n', namespace));
  const accounts = objects.filter((object) => object.kind === 'ServiceAccount');
  if (accounts.length === 0) return;
  const applied = await kubectlWithInput(toYamlStream(accounts), 'apply', '-f', '-');
  if (applied.code !== 0 || applied.stderr)
    throw new Error(`creating the ServiceAccounts failed:\n${applied.stderr}`);
}

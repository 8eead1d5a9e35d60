import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AppsV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  type V1ClusterRole,
  type V1Deployment,
} from '@kubernetes/client-node';
import { migrate } from '@boxoffice/store';
import {
  createNamespace,
  createTestDatabase,
  dependencies,
  eventually,
  kubeConfig,
  kubeConfigAs,
  kubectl,
  uniqueName,
} from '@boxoffice/testkit';
import { parseAllDocuments, stringify } from 'yaml';
import { dependencySettings } from '../../test/harness/dependencies.ts';
import { startTraced, stopAll, waitReady, type TracedProcess } from '../../test/traces/traced-platform.ts';
import { collectorConfig, collectorDir, ensureCollector } from '../../scripts/deps/otel-collector.ts';
import { freePort } from '../../scripts/deps/processes.ts';

type Attributes = Record<string, string>;
interface OtlpTrace {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { spans?: { spanId: string; name: string }[] }[];
  }[];
}

/** The manifests of kubernetes.yaml, as objects. */
const manifests = (): { kind: string; metadata: { name: string } }[] =>
  parseAllDocuments(readFileSync(join(collectorDir, 'kubernetes.yaml'), 'utf8')).map(
    (doc) => doc.toJS() as { kind: string; metadata: { name: string } },
  );

/**
 * observability/otel-collector/config.yaml on the distribution builder.yaml describes (built with
 * the Collector's builder, cached), between a real service and the real Jaeger of the tests, with
 * the pods it names read from the local kube-apiserver under the RBAC kubernetes.yaml grants.
 */
describe('the cluster collector config on a real collector (ocb-built; real Jaeger and kube-apiserver)', () => {
  const deps = dependencies();
  const run = uniqueName('otelcol');
  const dir = mkdtempSync(join(tmpdir(), 'boxoffice-otelcol-'));
  const settings = dependencySettings();
  // Jaeger's OTLP gRPC address, as the cluster's operator gives the backend: host:port.
  const backend = (settings.JAEGER_OTLP_GRPC_ENDPOINT ?? '').replace(/^https?:\/\//, '');
  let bin: string;
  let collector: ChildProcess | undefined;
  let queryApi: TracedProcess | undefined;
  const cluster = kubeConfig();
  const rbac = cluster.makeApiClient(RbacAuthorizationV1Api);
  const clusterRole = `${run}-otel-collector`;

  const validate = (env: Record<string, string>) =>
    spawnSync(bin, ['validate', `--config=${collectorConfig}`], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
    });

  beforeAll(() => {
    // Built once per machine and cached: about 280 CPU-seconds cold (docs/observability.md).
    bin = ensureCollector();
  }, 3_600_000);

  afterAll(async () => {
    await stopAll(queryApi ? [queryApi] : []);
    if (collector && collector.exitCode === null) {
      const exited = new Promise((resolve) => collector!.once('exit', resolve));
      collector.kill('SIGTERM');
      await exited;
    }
    await rbac.deleteClusterRoleBinding({ name: clusterRole }).catch(() => undefined);
    await rbac.deleteClusterRole({ name: clusterRole }).catch(() => undefined);
    await kubectl('delete', 'namespace', run, '--wait=false', '--ignore-not-found').catch(() => undefined);
  }, 60_000);

  it('validates with the settings an operator gives it', () => {
    const result = validate({ TRACES_BACKEND_ENDPOINT: 'tempo.tracing:4317', MY_POD_IP: '10.1.2.3' });
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/error/i);
    expect(result.status).toBe(0);
  });

  it('refuses to start without a trace backend, naming the exporter', () => {
    const result = validate({ MY_POD_IP: '10.1.2.3' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/otlp\/backend/);
  });

  it('installs with kubectl apply -k: the API server accepts every object (server-side dry run)', async () => {
    const rendered = await kubectl('kustomize', collectorDir);
    expect(rendered).toContain('namespace: observability');
    // Into a namespace of the test's own: the manifests name `observability`, which need not exist here.
    const file = join(dir, 'rendered.yaml');
    writeFileSync(file, rendered.replaceAll('namespace: observability', `namespace: ${run}-dry`));
    const core = cluster.makeApiClient(CoreV1Api);
    await core.createNamespace({
      body: {
        metadata: { name: `${run}-dry`, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
      },
    });
    const output = await kubectl('apply', '--dry-run=server', '-f', file);
    for (const kind of [
      'serviceaccount',
      'clusterrole',
      'clusterrolebinding',
      'deployment',
      'service',
      'configmap',
    ])
      expect(output).toMatch(new RegExp(`^${kind}[./]\\S* created \\(server dry run\\)$`, 'm'));
    // Its pod passes the restricted Pod Security Standard (admission checks pods, not Deployments).
    const deployment = parseAllDocuments(rendered)
      .map((doc) => doc.toJS() as V1Deployment)
      .find((object) => object.kind === 'Deployment')!;
    // Under the namespace's default ServiceAccount: the dry run above created none.
    const spec = { ...deployment.spec!.template.spec!, serviceAccountName: undefined };
    await eventually(() =>
      core.createNamespacedPod({
        namespace: `${run}-dry`,
        body: { metadata: { name: 'otel-collector' }, spec },
        dryRun: 'All',
      }),
    );
    await kubectl('delete', 'namespace', `${run}-dry`, '--wait=false');
  });

  it("forwards a service's spans to the backend with the Kubernetes attributes of the pod that sent them", async () => {
    expect(backend).not.toBe('');
    // A Deployment whose pod KWOK reports Running with an IP, as a node would.
    await createNamespace(run);
    await cluster.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: run,
      body: {
        metadata: { name: 'query-api' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'query-api' } },
          template: {
            metadata: { labels: { app: 'query-api', 'app.kubernetes.io/component': 'query-api' } },
            spec: { containers: [{ name: 'query-api', image: 'localhost/boxoffice:dev' }] },
          },
        },
      },
    });
    const pod = await eventually(
      async () => {
        const { items } = await cluster
          .makeApiClient(CoreV1Api)
          .listNamespacedPod({ namespace: run, labelSelector: 'app=query-api' });
        expect(items[0]?.status?.podIP).toBeTruthy();
        return items[0]!;
      },
      { timeoutMs: 60_000 },
    );

    // The collector as its own user, allowed exactly what kubernetes.yaml's ClusterRole allows.
    const role = manifests().find((m) => m.kind === 'ClusterRole') as V1ClusterRole;
    await rbac.createClusterRole({ body: { ...role, metadata: { name: clusterRole } } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: clusterRole },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: clusterRole }],
      },
    });
    const kubeconfigFile = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigFile, kubeConfigAs(clusterRole).exportConfig(), { mode: 0o600 });

    // The cluster config, with a second --config merged over it (as docs/observability.md tells an
    // operator to change it): loopback ports of this machine, and the API server through a kubeconfig.
    const ports = {
      grpc: await freePort(),
      http: await freePort(),
      health: await freePort(),
      metrics: await freePort(),
    };
    const override = join(dir, 'local.yaml');
    writeFileSync(
      override,
      stringify({
        extensions: { health_check: { endpoint: `127.0.0.1:${ports.health}` } },
        receivers: {
          otlp: {
            protocols: {
              grpc: { endpoint: `127.0.0.1:${ports.grpc}` },
              http: { endpoint: `127.0.0.1:${ports.http}` },
            },
          },
        },
        processors: { k8sattributes: { auth_type: 'kubeConfig' } },
        service: {
          telemetry: {
            metrics: {
              readers: [{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: ports.metrics } } } }],
            },
          },
        },
      }),
    );
    const log = createWriteStream(join(dir, 'collector.log'));
    collector = spawn(bin, [`--config=${collectorConfig}`, `--config=${override}`], {
      env: {
        PATH: process.env.PATH,
        KUBECONFIG: kubeconfigFile,
        TRACES_BACKEND_ENDPOINT: backend,
        TRACES_BACKEND_INSECURE: 'true',
        DEPLOYMENT_ENVIRONMENT: run,
        MY_POD_IP: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    collector.stdout!.pipe(log);
    collector.stderr!.pipe(log);
    await eventually(
      async () => {
        expect(collector!.exitCode).toBeNull();
        expect((await fetch(`http://127.0.0.1:${ports.health}/`)).status).toBe(200);
      },
      { timeoutMs: 60_000 },
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}\ncollector log: ${readFileSync(join(dir, 'collector.log'), 'utf8').slice(-3000)}`,
      );
    });

    // A real service, exporting to the collector; it says which pod it is by its IP, as the
    // connection's address would in a cluster (here every process connects from 127.0.0.1).
    const databaseUrl = await createTestDatabase(run);
    await migrate(databaseUrl);
    queryApi = await startTraced('query-api', `query-api-${run}`, {
      DATABASE_URL: databaseUrl,
      REDIS_URL: deps.redisUrl,
      KAFKA_BROKERS: deps.kafkaBrokers.join(','),
      BOXOFFICE_PREFIX: run,
      JWT_SECRET: 'a-test-secret-that-is-at-least-32-characters-long',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${ports.http}`,
      OTEL_RESOURCE_ATTRIBUTES: `k8s.pod.ip=${pod.status!.podIP}`,
    });
    await waitReady(queryApi, 180_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${queryApi!.stderr()}`);
    });
    const response = await fetch(`${queryApi.url}/v1/events`);
    expect(response.status).toBe(200);
    const [, traceId, spanId] =
      /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(response.headers.get('traceresponse') ?? '') ?? [];
    expect(traceId).toBeDefined();

    const stored = await eventually(
      async () => {
        const found = await fetch(`${deps.jaegerQueryUrl}/api/v3/traces/${traceId}`);
        expect(found.status).toBe(200);
        const { result } = (await found.json()) as { result: OtlpTrace };
        const server = (result.resourceSpans ?? []).find((r) =>
          r.scopeSpans?.some((s) => s.spans?.some((span) => span.spanId === spanId)),
        );
        expect(server).toBeDefined();
        return server!;
      },
      { timeoutMs: 30_000 },
    );
    const resource: Attributes = Object.fromEntries(
      (stored.resource?.attributes ?? []).map((a) => [a.key, a.value.stringValue ?? '']),
    );
    expect(resource).toMatchObject({
      'service.name': `query-api-${run}`,
      'k8s.namespace.name': run,
      'k8s.pod.name': pod.metadata!.name!,
      'k8s.pod.uid': pod.metadata!.uid!,
      'k8s.deployment.name': 'query-api',
      'k8s.node.name': pod.spec!.nodeName!,
      'app.kubernetes.io/component': 'query-api',
      'deployment.environment.name': run,
    });

    // Its own metrics say what went through: accepted from the service, sent to the backend.
    const metrics = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
    const sample = (name: string) =>
      metrics
        .split('\n')
        .filter((line) => line.startsWith(name))
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    expect(sample('otelcol_receiver_accepted_spans')).toBeGreaterThan(0);
    expect(sample('otelcol_exporter_sent_spans')).toBeGreaterThan(0);
    expect(sample('otelcol_exporter_send_failed_spans')).toBe(0);
  }, 360_000);
});

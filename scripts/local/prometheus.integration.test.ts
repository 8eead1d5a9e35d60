import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { COMPONENTS, platformLabels } from '@boxoffice/conventions';
import {
  createNamespace,
  dependencies,
  eventually,
  grantKafkaAcls,
  kafkaEnv,
  kubectl,
  uniqueName,
} from '@boxoffice/testkit';
import {
  freshDatabase,
  provisionEvents,
  startAllocator,
  startPurchaseApi,
  startQueryApi,
  type ServiceOptions,
} from '../../loadtest/platform.ts';
import { stopAll, type PlatformProcess } from '../../loadtest/platform-processes.ts';
import { childLabels } from '../../operator/src/desired/metadata.ts';
import { OperatorProcess } from '../../operator/test/operator-process.ts';
import { allRuleGroups, ruleFiles } from '../../observability/alerts/rule-files.ts';
import { readEnvFile } from '../deps/env-file.ts';
import { envFile, repoRoot } from '../deps/paths.ts';
import { freePort, run } from '../deps/processes.ts';
import type { LocalPod } from './pod-worker.ts';
import { LocalPrometheus } from './prometheus.ts';

interface Target {
  labels: Record<string, string>;
  health: string;
  scrapeUrl: string;
}

async function api<T>(url: string): Promise<T> {
  const json = (await (await fetch(url)).json()) as { status: string; data: T };
  if (json.status !== 'success') throw new Error(`${url}: ${JSON.stringify(json)}`);
  return json.data;
}

/**
 * npm start's Prometheus against the platform's real processes — the operator, two allocators of a
 * provisioned event, purchase-api and query-api, on this suite's own database, topics and namespace —
 * presented as the local kubelet stand-in reports the pods it runs, labelled as the chart and the
 * operator label them. Readiness is not waited for: Prometheus scrapes a pod that is not ready too,
 * and the assertions wait for every target to be up.
 */
describe("npm start's Prometheus (real Prometheus, every component a real process)", () => {
  const settings = readEnvFile(envFile);
  const prefix = uniqueName('localprom');
  const logDir = mkdtempSync(join(tmpdir(), 'boxoffice-local-prometheus-'));
  const event = { namespace: prefix, name: 'flash', capacity: 10, shards: 2, perBuyerLimit: 4 };
  const operator = new OperatorProcess(`${prefix}-operator`);
  let processes: PlatformProcess[] = [];
  let pods: LocalPod[] = [];
  let prometheus: LocalPrometheus;

  const pod = (component: string, name: string, url: string, labels: Record<string, string>): LocalPod => ({
    namespace: 'boxoffice',
    name,
    labels,
    ready: true,
    ports: [
      {
        container: component,
        name: 'http',
        containerPort: COMPONENTS[component as keyof typeof COMPONENTS].port,
        hostPort: Number(new URL(url).port),
      },
    ],
  });
  const chartLabels = (component: string) =>
    platformLabels({ name: 'boxoffice', instance: 'boxoffice', component, managedBy: 'Helm' });
  const targets = async () =>
    (await api<{ activeTargets: Target[] }>(`${prometheus.url}/api/v1/targets?state=active`)).activeTargets;

  beforeAll(async () => {
    const databaseUrl = await freshDatabase(settings, prefix.replaceAll('-', '_'));
    await createNamespace(prefix);
    // Every component's Kafka ACLs for this suite's prefix (the operator's too).
    await grantKafkaAcls(prefix);
    await operator.start({
      DATABASE_URL: databaseUrl,
      REDIS_URL: settings.REDIS_URL!,
      ...kafkaEnv('operator'),
      KUBECONFIG: dependencies().kubeconfig,
      BOXOFFICE_PREFIX: prefix,
      WATCH_NAMESPACE: prefix,
      LEASE_NAMESPACE: prefix,
      // Which Secret keys its allocators would read; none is written here (no TicketEvent).
      ALLOCATOR_SECRET_ENV: JSON.stringify({ DATABASE_URL: 'platform', REDIS_URL: 'platform' }),
      ...(kafkaEnv('operator').KAFKA_SASL_MECHANISM ? { ALLOCATOR_KAFKA_SECRET: 'platform-kafka' } : {}),
    });
    // The operator owns the shared topics (it creates them at start, with their partitions) before
    // the event is provisioned beside them.
    await eventually(async () => expect((await operator.get('/metrics')).status).toBe(200), {
      timeoutMs: 120_000,
    });
    await provisionEvents(settings, databaseUrl, prefix, [event]);
    const service: ServiceOptions = { settings, databaseUrl, prefix, logDir };
    processes = [
      await startAllocator(service, event, 'allocator-0'),
      await startAllocator(service, event, 'allocator-1'),
      await startPurchaseApi(service),
      await startQueryApi(service),
    ];
    const [allocator0, allocator1, purchase, query] = processes as [
      PlatformProcess,
      PlatformProcess,
      PlatformProcess,
      PlatformProcess,
    ];
    pods = [
      pod('operator', 'boxoffice-operator-1', `http://127.0.0.1:${operator.port}`, chartLabels('operator')),
      pod('purchase-api', 'boxoffice-purchase-api-1', purchase.url, chartLabels('purchase-api')),
      pod('query-api', 'boxoffice-query-api-1', query.url, chartLabels('query-api')),
      pod('allocator', 'alloc-flash-0', allocator0.url, childLabels(event)),
      pod('allocator', 'alloc-flash-1', allocator1.url, childLabels(event)),
    ];
    prometheus = await new LocalPrometheus({
      bin: settings.PROMETHEUS_BIN!,
      dir: join(logDir, 'prometheus'),
      logFile: join(logDir, 'prometheus.log'),
      ruleFiles: ruleFiles().map((file) => join(repoRoot, file)),
      pods: () => pods,
      scrapeIntervalSeconds: 1,
      syncIntervalMs: 200,
      preferredPort: await freePort(),
    }).start();
  }, 300_000);

  afterAll(async () => {
    await prometheus?.stop();
    await stopAll(processes);
    if (operator.running) await operator.terminate();
    await kubectl('delete', 'namespace', prefix, '--wait=false').catch(() => undefined);
  }, 180_000);

  it('writes a config promtool accepts', () => {
    const output = run(settings.PROMTOOL_BIN!, ['check', 'config', prometheus.configFile]);
    expect(output).toContain('SUCCESS');
  });

  it('scrapes every component, each up, under the job names the rules and dashboards select', async () => {
    await eventually(
      async () => {
        const found = await targets();
        expect(found.map((t) => [t.labels.job, t.labels.pod, t.health]).sort()).toEqual(
          [
            ['boxoffice-allocator', 'alloc-flash-0', 'up'],
            ['boxoffice-allocator', 'alloc-flash-1', 'up'],
            ['boxoffice-operator', 'boxoffice-operator-1', 'up'],
            ['boxoffice-purchase-api', 'boxoffice-purchase-api-1', 'up'],
            ['boxoffice-query-api', 'boxoffice-query-api-1', 'up'],
          ].sort(),
        );
      },
      { timeoutMs: 180_000 },
    );
    // honor_labels, as in the chart's monitors: each process's own `service` label is kept.
    const services = await api<{ result: { metric: Record<string, string> }[] }>(
      `${prometheus.url}/api/v1/query?query=${encodeURIComponent('count by (service) (process_start_time_seconds)')}`,
    );
    expect(services.result.map((r) => r.metric.service).sort()).toEqual(
      ['allocator', 'operator', 'purchase-api', 'query-api'].sort(),
    );
  }, 240_000);

  it('loads every recording and alert rule of observability/alerts, evaluated without error; the Watchdog fires', async () => {
    const expected = allRuleGroups().flatMap((group) => group.rules.map((r) => r.alert ?? r.record));
    await eventually(
      async () => {
        const { groups } = await api<{
          groups: { rules: { name: string; health: string; lastError?: string }[] }[];
        }>(`${prometheus.url}/api/v1/rules`);
        const rules = groups.flatMap((g) => g.rules);
        expect(rules.map((r) => r.name).sort()).toEqual([...expected].sort());
        expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
      },
      { timeoutMs: 30_000 },
    );
    await eventually(
      async () => {
        const { alerts } = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
          `${prometheus.url}/api/v1/alerts`,
        );
        expect(alerts).toContainEqual(
          expect.objectContaining({
            labels: expect.objectContaining({ alertname: 'BoxofficeWatchdog' }),
            state: 'firing',
          }),
        );
      },
      { timeoutMs: 30_000 },
    );
  });

  it('follows the pods without a restart: a pod that goes is no longer scraped, a new one on a moved port is', async () => {
    const [gone] = pods.filter((p) => p.labels['app.kubernetes.io/component'] === 'allocator');
    pods = pods.filter((p) => p !== gone);
    await eventually(
      async () => expect((await targets()).map((t) => t.labels.pod)).not.toContain(gone!.name),
      { timeoutMs: 30_000 },
    );
    // The same process as a new pod: the runner gave the new pod's port another host port.
    const moved = { ...gone!, name: `${gone!.name}-rolled` };
    pods = [...pods, moved];
    await eventually(
      async () => {
        const target = (await targets()).find((t) => t.labels.pod === moved.name);
        expect(target).toMatchObject({ health: 'up', labels: { job: 'boxoffice-allocator' } });
      },
      { timeoutMs: 30_000 },
    );
  });

  it('listens on loopback only', async () => {
    const flags = await api<Record<string, string>>(`${prometheus.url}/api/v1/status/flags`);
    expect(flags['web.listen-address']).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

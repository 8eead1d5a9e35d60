import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { COMPONENTS, platformLabels } from '@boxoffice/conventions';
import { eventually } from '@boxoffice/testkit';
import { childLabels } from '../../operator/src/desired/metadata.ts';
import { allRuleGroups, ruleFiles } from '../../observability/alerts/rule-files.ts';
import { ObservedPlatform } from '../../observability/test/observed-platform.ts';
import { repoRoot } from '../deps/paths.ts';
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
 * npm start's Prometheus against the platform's real processes: the operator, both allocators,
 * purchase-api and query-api (started by the observability suite's fixture), presented as the local
 * kubelet stand-in reports the pods it runs, labelled as the chart and the operator label them.
 */
describe("npm start's Prometheus (real Prometheus, every component a real process)", () => {
  const platform = new ObservedPlatform();
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
    await platform.start();
    pods = [
      pod(
        'operator',
        'boxoffice-operator-1',
        `http://127.0.0.1:${platform.operator.port}`,
        chartLabels('operator'),
      ),
      pod('purchase-api', 'boxoffice-purchase-api-1', platform.purchase.url, chartLabels('purchase-api')),
      pod('query-api', 'boxoffice-query-api-1', platform.query.url, chartLabels('query-api')),
      ...platform.allocators.map((allocator, i) =>
        pod('allocator', `alloc-${platform.event.name}-${i}`, allocator.url, childLabels(platform.event)),
      ),
    ];
    prometheus = await new LocalPrometheus({
      bin: platform.settings.PROMETHEUS_BIN!,
      dir: mkdtempSync(join(tmpdir(), 'boxoffice-local-prometheus-')),
      logFile: join(platform.logDir, 'local-prometheus.log'),
      ruleFiles: ruleFiles().map((file) => join(repoRoot, file)),
      pods: () => pods,
      scrapeIntervalSeconds: 1,
      syncIntervalMs: 200,
      preferredPort: await freePort(),
    }).start();
  }, 420_000);

  afterAll(async () => {
    await prometheus?.stop();
    await platform.stop();
  }, 180_000);

  it('writes a config promtool accepts', () => {
    const output = run(platform.settings.PROMTOOL_BIN!, ['check', 'config', prometheus.configFile]);
    expect(output).toContain('SUCCESS');
  });

  it('scrapes every component, each up, under the job names the rules and dashboards select', async () => {
    await eventually(
      async () => {
        const found = await targets();
        expect(found.map((t) => [t.labels.job, t.labels.pod, t.health]).sort()).toEqual(
          [
            ['boxoffice-allocator', `alloc-${platform.event.name}-0`, 'up'],
            ['boxoffice-allocator', `alloc-${platform.event.name}-1`, 'up'],
            ['boxoffice-operator', 'boxoffice-operator-1', 'up'],
            ['boxoffice-purchase-api', 'boxoffice-purchase-api-1', 'up'],
            ['boxoffice-query-api', 'boxoffice-query-api-1', 'up'],
          ].sort(),
        );
      },
      { timeoutMs: 60_000 },
    );
    // honor_labels, as in the chart's monitors: each process's own `service` label is kept.
    const services = await api<{ result: { metric: Record<string, string> }[] }>(
      `${prometheus.url}/api/v1/query?query=${encodeURIComponent('count by (service) (process_start_time_seconds)')}`,
    );
    expect(services.result.map((r) => r.metric.service).sort()).toEqual(
      ['allocator', 'operator', 'purchase-api', 'query-api'].sort(),
    );
  });

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

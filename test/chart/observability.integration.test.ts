/**
 * What the chart ships for Prometheus and Grafana is exactly what observability/ holds and tests:
 * the rule files as the PrometheusRule, the dashboards as sidecar ConfigMaps; the monitors keep the
 * services' own labels.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '../../scripts/deps/paths.ts';
import { allRuleGroups } from '../../observability/alerts/rule-files.ts';
import { dashboards } from '../../observability/dashboards/index.ts';
import { find, render, type KubeObject } from './helm.ts';

const dashboardJson = (name: string): unknown =>
  JSON.parse(readFileSync(join(repoRoot, 'observability', 'dashboards', `${name}.json`), 'utf8'));
const configMaps = (objects: KubeObject[]) =>
  objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.includes('-dashboard-')) as (KubeObject & {
    data: Record<string, string>;
  })[];

describe('the PrometheusRule of the chart', () => {
  it('holds exactly the groups of observability/alerts/*.yaml, with their Prometheus templates untouched', async () => {
    const rule = find(
      await render({ set: { 'monitoring.prometheusRule.enabled': 'true' } }),
      'PrometheusRule',
    );
    const groups = (rule as unknown as { spec: { groups: unknown } }).spec.groups;
    expect(groups).toEqual(allRuleGroups());
    expect(JSON.stringify(groups)).toContain('{{ $labels.event }}');
  });
});

describe('the Grafana dashboards of the chart', () => {
  it('are left out by default', async () => {
    expect(configMaps(await render())).toEqual([]);
  });

  it('are one ConfigMap per dashboard of observability/dashboards, labelled for the Grafana sidecar', async () => {
    const maps = configMaps(await render({ set: { 'monitoring.dashboards.enabled': 'true' } }));
    expect(maps.map((m) => m.metadata.name).sort()).toEqual(
      Object.keys(dashboards)
        .map((name) => `boxoffice-dashboard-${name}`)
        .sort(),
    );
    for (const map of maps) {
      const name = map.metadata.name.replace('boxoffice-dashboard-', '');
      expect(map.metadata.namespace).toBe('boxoffice');
      expect(map.metadata.labels).toMatchObject({
        grafana_dashboard: '1',
        'app.kubernetes.io/part-of': 'boxoffice',
      });
      expect(Object.keys(map.data)).toEqual([`boxoffice-${name}.json`]);
      expect(JSON.parse(map.data[`boxoffice-${name}.json`]!)).toEqual(dashboardJson(name));
    }
  });

  it('go where the sidecar looks, with its labels and folder annotation', async () => {
    const maps = configMaps(
      await render({
        set: {
          'monitoring.dashboards.enabled': 'true',
          'monitoring.dashboards.namespace': 'monitoring',
          'monitoring.dashboards.labels.grafana_dashboard': 'null',
          'monitoring.dashboards.labels.team-dashboards': 'yes',
          'monitoring.dashboards.annotations.grafana_folder': 'Ticketing',
        },
      }),
    );
    expect(maps).toHaveLength(Object.keys(dashboards).length);
    for (const map of maps) {
      expect(map.metadata.namespace).toBe('monitoring');
      expect(map.metadata.labels).toMatchObject({ 'team-dashboards': 'yes' });
      expect(map.metadata.labels).not.toHaveProperty('grafana_dashboard');
      expect(map.metadata.annotations).toEqual({ grafana_folder: 'Ticketing' });
    }
  });
});

describe('the ServiceMonitor and PodMonitors of the chart', () => {
  it("honour the processes' labels, so `service` is purchase-api, operator… on every series", async () => {
    const objects = await render({
      set: { 'monitoring.serviceMonitor.enabled': 'true', 'monitoring.podMonitor.enabled': 'true' },
    });
    const endpoints = [
      ...(find(objects, 'ServiceMonitor') as unknown as { spec: { endpoints: object[] } }).spec.endpoints,
      ...objects
        .filter((o) => o.kind === 'PodMonitor')
        .flatMap(
          (o) => (o as unknown as { spec: { podMetricsEndpoints: object[] } }).spec.podMetricsEndpoints,
        ),
    ];
    // The ServiceMonitor's, and the PodMonitors' of the operator, the allocators and analytics.
    expect(endpoints).toHaveLength(4);
    for (const endpoint of endpoints) expect(endpoint).toMatchObject({ honorLabels: true });
  });
});

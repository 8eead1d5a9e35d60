import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '../../scripts/deps/paths.ts';
import { dashboardFiles } from './files.ts';
import { BUILT_IN_VARIABLES, queryPanels, variablesIn, type DashboardJson } from './panel-targets.ts';

const files = await dashboardFiles();
const parsed = Object.entries(files).map(
  ([file, text]) => [file, JSON.parse(text) as DashboardJson] as const,
);

describe('the dashboards as code', () => {
  it('are committed fresh as JSON (run `npm run dashboards` after changing observability/dashboards/*.ts)', () => {
    for (const [file, text] of Object.entries(files))
      expect([file, readFileSync(join(repoRoot, file), 'utf8')]).toEqual([file, text]);
  });

  it('are the overview, sale, allocator and operator dashboards, with distinct uids and the Grafana 12 schema', () => {
    expect(parsed.map(([, d]) => d.uid).sort()).toEqual([
      'boxoffice-allocator',
      'boxoffice-operator',
      'boxoffice-overview',
      'boxoffice-sale',
    ]);
    for (const [, dashboard] of parsed)
      expect((dashboard as unknown as { schemaVersion: number }).schemaVersion).toBe(42);
  });

  it('give every panel a description, a unit and PromQL targets on the $datasource variable', () => {
    for (const [file, dashboard] of parsed)
      for (const panel of queryPanels(dashboard)) {
        const where = `${file}: ${panel.title}`;
        expect([where, (panel.description ?? '').length > 20]).toEqual([where, true]);
        expect([where, panel.fieldConfig?.defaults?.unit]).toEqual([where, expect.any(String)]);
        expect([where, (panel.targets?.length ?? 0) > 0]).toEqual([where, true]);
        for (const target of panel.targets!) {
          expect([where, target.datasource?.uid]).toEqual([where, '${datasource}']);
          expect(target.expr.trim()).not.toBe('');
        }
      }
  });

  it('refer only to variables they define (or Grafana built-ins)', () => {
    for (const [file, dashboard] of parsed) {
      const defined = new Set([...dashboard.templating.list.map((v) => v.name), ...BUILT_IN_VARIABLES]);
      const used = queryPanels(dashboard).flatMap((p) =>
        (p.targets ?? []).flatMap((t) => variablesIn(t.expr)),
      );
      const fromVariables = dashboard.templating.list.flatMap((v) => variablesIn(v.query ?? ''));
      expect([file, [...used, ...fromVariables].filter((name) => !defined.has(name))]).toEqual([file, []]);
    }
  });

  it('let the sale and allocator dashboards pick a namespace, an event and shards', () => {
    for (const [file, dashboard] of parsed.filter(([f]) => /sale|allocator/.test(f))) {
      const names = dashboard.templating.list.map((v) => v.name);
      expect([file, names]).toEqual([file, ['datasource', 'namespace', 'event', 'shard']]);
    }
  });
});

/** The dashboards as the JSON files `npm run dashboards` writes (a unit test checks the committed ones are fresh). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/deps/paths.ts';
import { formatAsCommitted } from '../../scripts/format.ts';
import { dashboards } from './index.ts';
import type { DashboardJson } from './panel-targets.ts';

export const DASHBOARD_DIR = 'observability/dashboards';

export async function dashboardFiles(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const [name, build] of Object.entries(dashboards)) {
    const file = `${DASHBOARD_DIR}/${name}.json`;
    files[file] = await formatAsCommitted(file, JSON.stringify(build()));
  }
  return files;
}

/** The committed JSON of every dashboard, by name: what Grafana (and the chart) gets. */
export function committedDashboards(): [name: string, dashboard: DashboardJson][] {
  return Object.keys(dashboards).map((name) => [
    name,
    JSON.parse(readFileSync(join(repoRoot, DASHBOARD_DIR, `${name}.json`), 'utf8')) as DashboardJson,
  ]);
}

/**
 * `npm run dashboards:pictures`: runs the platform under a real Prometheus through the same purchase
 * run as the integration test, evaluates every dashboard over it and draws each into
 * docs/dashboards/<name>.svg. Starts the dependencies it needs and stops those it started
 * (BOXOFFICE_KEEP_DEPS=1 keeps them).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parts, upAll } from '../scripts/deps/deps.ts';
import { repoRoot } from '../scripts/deps/paths.ts';
import { committedDashboards } from './dashboards/files.ts';
import { dashboardPicture } from './dashboards/picture.ts';
import { evaluateDashboard, panelDataOf } from './test/dashboard-queries.ts';
import { ObservedPlatform } from './test/observed-platform.ts';
import { chosen, purchaseRun, runWindow } from './test/purchase-run.ts';

const { started } = await upAll();
const platform = new ObservedPlatform();
try {
  await platform.start();
  const run = await purchaseRun(platform);
  const caption = `a k6 flash sale of ${run.holds + run.soldOut} orders, ${new Date(run.startedAt * 1000).toISOString().slice(0, 16)}Z`;
  const dir = join(repoRoot, 'docs', 'dashboards');
  mkdirSync(dir, { recursive: true });
  for (const [name, dashboard] of committedDashboards()) {
    const results = await evaluateDashboard(platform.prometheus, dashboard, runWindow(run), chosen(platform));
    for (const failed of results.filter((r) => r.problem))
      console.warn(`${name}: ${failed.panel}: ${failed.problem}`);
    writeFileSync(
      join(dir, `${name}.svg`),
      dashboardPicture(dashboard, panelDataOf(dashboard, results), runWindow(run), caption),
    );
    console.log(`wrote docs/dashboards/${name}.svg`);
  }
} finally {
  await platform.stop();
  if (process.env.BOXOFFICE_KEEP_DEPS !== '1')
    for (const part of [...parts].reverse()) if (started.includes(part.name)) await part.down();
}

/** The dashboards as the JSON files `npm run dashboards` writes (a unit test checks the committed ones are fresh). */
import { formatAsCommitted } from '../../scripts/format.ts';
import { dashboards } from './index.ts';

export const DASHBOARD_DIR = 'observability/dashboards';

export async function dashboardFiles(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const [name, build] of Object.entries(dashboards)) {
    const file = `${DASHBOARD_DIR}/${name}.json`;
    files[file] = await formatAsCommitted(file, JSON.stringify(build()));
  }
  return files;
}

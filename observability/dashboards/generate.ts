/** `npm run dashboards`: writes observability/dashboards/*.json from the dashboards in TypeScript. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/deps/paths.ts';
import { dashboardFiles } from './files.ts';

for (const [file, text] of Object.entries(await dashboardFiles())) {
  writeFileSync(join(repoRoot, file), text);
  console.log(`wrote ${file}`);
}

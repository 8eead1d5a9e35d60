/**
 * `npm run chart`: writes the chart's generated files (values, schema, README table, RBAC rules, and
 * copies of the alert rules and dashboards of observability/).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../deps/paths.ts';
import { generatedChartFiles } from './generated-files.ts';

for (const [file, text] of Object.entries(await generatedChartFiles())) {
  mkdirSync(dirname(join(repoRoot, file)), { recursive: true });
  writeFileSync(join(repoRoot, file), text);
  console.log(`wrote ${file}`);
}

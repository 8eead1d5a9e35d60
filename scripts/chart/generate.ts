/** `npm run chart`: writes the chart's generated files (values, schema, README table, RBAC rules). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../deps/paths.ts';
import { generatedChartFiles } from './generated-files.ts';

for (const [file, text] of Object.entries(await generatedChartFiles())) {
  writeFileSync(join(repoRoot, file), text);
  console.log(`wrote ${file}`);
}

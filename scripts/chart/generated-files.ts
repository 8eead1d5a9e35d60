/**
 * Every file of the chart that is generated, with its fresh content: `npm run chart` writes them,
 * a unit test checks that the committed ones are fresh.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { repoRoot } from '../deps/paths.ts';
import { CHART_RBAC_TEMPLATE, chartRbacTemplate } from './rbac-template.ts';
import { valuesJsonSchema, valuesYaml, withValuesTable } from './values-render.ts';

export const CHART_DIR = 'charts/boxoffice';

/** Formatted as `prettier --check` expects, so generated files pass the lint step as they are. */
async function pretty(file: string, text: string): Promise<string> {
  const options = (await prettier.resolveConfig(join(repoRoot, file))) ?? {};
  return prettier.format(text, { ...options, filepath: file });
}

export async function generatedChartFiles(): Promise<Record<string, string>> {
  const readme = `${CHART_DIR}/README.md`;
  return {
    [`${CHART_DIR}/values.yaml`]: await pretty(`${CHART_DIR}/values.yaml`, valuesYaml()),
    [`${CHART_DIR}/values.schema.json`]: await pretty(
      `${CHART_DIR}/values.schema.json`,
      JSON.stringify(valuesJsonSchema()),
    ),
    [readme]: withValuesTable(readFileSync(join(repoRoot, readme), 'utf8')),
    [CHART_RBAC_TEMPLATE]: chartRbacTemplate(),
  };
}

/**
 * Writes the TicketEvent CRD from the TypeScript source of truth: operator/crd/ (kubectl apply,
 * the tests) and the Helm chart's CRD template.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_CRD_TEMPLATE, chartCrdTemplate } from '../../scripts/chart/crd-template.ts';
import { renderCrdYaml } from '../src/crd/render.ts';

const outputs: [string, string][] = [
  [join(import.meta.dirname, '..', 'crd', 'ticketevents.boxoffice.dev.yaml'), renderCrdYaml()],
  [join(import.meta.dirname, '..', '..', CHART_CRD_TEMPLATE), chartCrdTemplate()],
];
for (const [target, text] of outputs) {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}

/**
 * npm run synth [-- --values <file.yaml>] [--namespace <ns>] [--release <name>] [--out <dir>]
 *
 * Writes the platform's manifests (cdk8s/dist/ by default, not committed) from a values file in
 * the chart's format, the way `helm template` renders the chart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { App, Chart } from 'cdk8s';
import { parse } from 'yaml';
import { BoxofficePlatform } from './platform.ts';

const { values: options } = parseArgs({
  options: {
    values: { type: 'string' },
    namespace: { type: 'string', default: 'boxoffice' },
    release: { type: 'string', default: 'boxoffice' },
    out: { type: 'string', default: join(import.meta.dirname, '..', 'dist') },
  },
});

try {
  const values = options.values ? (parse(readFileSync(options.values, 'utf8')) ?? {}) : {};
  const app = new App({ outdir: options.out });
  const chart = new Chart(app, 'boxoffice', { disableResourceNameHashes: true });
  new BoxofficePlatform(chart, options.release, { ...values, namespace: options.namespace });
  app.synth();
  console.log(`wrote ${join(options.out, 'boxoffice.k8s.yaml')} (${chart.toJson().length} objects)`);
} catch (error) {
  // Bad values or an unreadable file: the message says which, a stack would not help.
  console.error(`boxoffice synth: ${(error as Error).message}`);
  process.exitCode = 1;
}

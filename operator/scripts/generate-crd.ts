/** Writes operator/crd/ticketevents.boxoffice.dev.yaml from the TypeScript source of truth. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCrdYaml } from '../src/crd/render.ts';

const target = join(import.meta.dirname, '..', 'crd', 'ticketevents.boxoffice.dev.yaml');
writeFileSync(target, renderCrdYaml());
console.log(`wrote ${target}`);

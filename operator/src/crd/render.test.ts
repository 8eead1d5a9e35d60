import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { renderCrdYaml } from './render.ts';

describe('the TicketEvent CRD', () => {
  it('committed YAML matches a fresh generation (run `npm run crd` after changing the schema)', () => {
    const committed = readFileSync(
      join(import.meta.dirname, '..', '..', 'crd', 'ticketevents.boxoffice.dev.yaml'),
      'utf8',
    );
    expect(committed).toBe(renderCrdYaml());
  });
});

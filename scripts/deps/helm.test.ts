import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { HELM_VERSION } from './helm.ts';
import { repoRoot } from './paths.ts';

describe('the helm build', () => {
  it('pins in tools/helm/go.mod the version it names its cached binary after', () => {
    const goMod = readFileSync(join(repoRoot, 'tools', 'helm', 'go.mod'), 'utf8');
    expect(goMod).toMatch(
      new RegExp(`^require helm\\.sh/helm/v3 ${HELM_VERSION.replace(/\./g, '\\.')}$`, 'm'),
    );
  });
});

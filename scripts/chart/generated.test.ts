import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { repoRoot } from '../deps/paths.ts';
import { CHART_CRD_TEMPLATE, chartCrdTemplate } from './crd-template.ts';
import { CHART_DIR, generatedChartFiles } from './generated-files.ts';

const committed = (file: string): string => readFileSync(join(repoRoot, file), 'utf8');

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

/**
 * Keys whose value is a map by design: labels, annotations, env, Kubernetes pass-through objects,
 * and resource lists (whose keys are restricted to cpu, memory, ephemeral-storage).
 */
const FREE_FORM =
  /(^|\.)(global|commonLabels|annotations|labels|podAnnotations|podLabels|nodeSelector|env|affinity|requests|limits)$|\.(tolerations|topologySpreadConstraints|apiFrom|metricsFrom)\[\]$/;

describe('the generated chart files', () => {
  it('are fresh (run `npm run chart` after changing scripts/chart/ or operator/rbac/)', async () => {
    for (const [file, text] of Object.entries(await generatedChartFiles()))
      expect([file, committed(file)]).toEqual([file, text]);
    // Rendering every generated file (CRD, RBAC, schema) can pass jest's 5 s default on a loaded machine.
  }, 60_000);

  it('include the CRD template fresh from operator/src/crd/schema.ts (run `npm run crd`)', () => {
    expect(committed(CHART_CRD_TEMPLATE)).toBe(chartCrdTemplate());
  });
});

describe('values.schema.json', () => {
  const schema = JSON.parse(committed(`${CHART_DIR}/values.schema.json`)) as JsonSchema;

  it('refuses unknown keys in every group; only the maps meant to be free-form accept any key', () => {
    const freeForm: string[] = [];
    const walk = (node: JsonSchema, path: string): void => {
      for (const alternative of node.anyOf ?? []) walk(alternative, path);
      if (node.items) walk(node.items, `${path}[]`);
      if (node.type !== 'object') return;
      if (node.properties) {
        expect([path, node.additionalProperties]).toEqual([path, false]);
        for (const [key, child] of Object.entries(node.properties))
          walk(child, path ? `${path}.${key}` : key);
      } else {
        freeForm.push(path);
      }
    };
    walk(schema, '');
    expect(freeForm.filter((path) => !FREE_FORM.test(path))).toEqual([]);
    expect(freeForm).toContain('global');
  });

  it('has exactly the keys of values.yaml, at every level', () => {
    const values = parse(committed(`${CHART_DIR}/values.yaml`)) as Record<string, unknown>;
    const compare = (node: JsonSchema, value: unknown, path: string): void => {
      if (!node.properties) return;
      const actual = Object.keys(value as Record<string, unknown>).sort();
      expect([path, actual]).toEqual([path, Object.keys(node.properties).sort()]);
      for (const [key, child] of Object.entries(node.properties)) {
        compare(child, (value as Record<string, unknown>)[key], `${path}.${key}`);
      }
    };
    compare(schema, values, '');
  });
});

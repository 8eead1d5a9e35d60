import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { JAEGER_MODULE_VERSION, jaegerConfig } from './jaeger.ts';
import { repoRoot } from './paths.ts';

describe('the Jaeger build and configuration', () => {
  it('pins in tools/jaeger/go.mod the version it names its cached binary after', () => {
    const goMod = readFileSync(join(repoRoot, 'tools', 'jaeger', 'go.mod'), 'utf8');
    expect(goMod).toMatch(
      new RegExp(
        `^require github\\.com/jaegertracing/jaeger ${JAEGER_MODULE_VERSION.replace(/\./g, '\\.')}$`,
        'm',
      ),
    );
  });

  it('names 127.0.0.1 for every endpoint of its config file', () => {
    const endpoints = [...readFileSync(jaegerConfig, 'utf8').matchAll(/^\s*endpoint:\s*(\S+)/gm)].map(
      (m) => m[1],
    );
    expect(endpoints).toHaveLength(5);
    for (const endpoint of endpoints)
      expect(endpoint).toMatch(/^127\.0\.0\.1:\$\{env:JAEGER_[A-Z_]+_PORT\}$/);
  });
});

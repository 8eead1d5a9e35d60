import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { collectorDir } from '../../scripts/deps/otel-collector.ts';

type Kind = 'receivers' | 'processors' | 'exporters' | 'extensions';
const KINDS: Kind[] = ['receivers', 'processors', 'exporters', 'extensions'];

const read = (file: string) => readFileSync(join(collectorDir, file), 'utf8');
const manifest = parse(read('builder.yaml')) as Record<Kind | 'providers', { gomod: string }[]>;
const config = parse(read('config.yaml')) as Record<Kind, Record<string, unknown>>;
const goMod = read('go.mod');

/** `memory_limiter` (a processor) is built from …/memorylimiterprocessor; `otlp/backend` is an `otlp`. */
const moduleName = (kind: Kind, id: string) => `${id.split('/')[0]!.replaceAll('_', '')}${kind.slice(0, -1)}`;

describe('the collector distribution (builder.yaml, go.mod) and the config it runs', () => {
  it('has every component the config uses', () => {
    for (const kind of KINDS)
      for (const id of Object.keys(config[kind] ?? {}))
        expect(manifest[kind].map((m) => m.gomod.split(' ')[0]!.split('/').at(-1))).toContain(
          moduleName(kind, id),
        );
  });

  it('has no other component, but the two exporters a second --config may switch to (each one is build time)', () => {
    for (const kind of KINDS) {
      const used = Object.keys(config[kind] ?? {}).map((id) => moduleName(kind, id));
      const built = manifest[kind].map((m) => m.gomod.split(' ')[0]!.split('/').at(-1)!);
      // Exporters an operator switches to with a second --config: otlphttp for a backend without
      // OTLP gRPC, debug while troubleshooting.
      expect(built.filter((name) => !used.includes(name))).toEqual(
        kind === 'exporters' ? ['otlphttpexporter', 'debugexporter'] : [],
      );
    }
  });

  it('pins in go.mod exactly the versions builder.yaml names (regenerate: node scripts/deps/otel-collector.ts --update-modules)', () => {
    for (const kind of [...KINDS, 'providers'] as const)
      for (const { gomod } of manifest[kind]) {
        const [module, version] = gomod.split(' ');
        expect(goMod).toMatch(
          new RegExp(`^\\s+${module!.replaceAll('.', '\\.')} ${version!.replaceAll('.', '\\.')}$`, 'm'),
        );
      }
  });
});

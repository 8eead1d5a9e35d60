import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { cacheDir, repoRoot } from './paths.ts';
import { requireCommand } from './prerequisites.ts';
import { run } from './processes.ts';

/**
 * The OpenTelemetry Collector distribution of observability/otel-collector/builder.yaml, built once
 * with the Collector's own builder (ocb) and `go build -mod=mod` and cached: the builder writes the
 * distribution's Go sources (main.go, components.go), the committed go.mod and go.sum beside
 * builder.yaml pin every module, and go compiles them. Only the components config.yaml uses, so the
 * cold build stays a few minutes. The integration test of the collector config runs it; nothing else
 * needs it, so `npm run deps -- up` and `npm start` do not build it.
 */
export const OTELCOL_BUILDER_VERSION = 'v0.140.0';
export const collectorDir = join(repoRoot, 'observability', 'otel-collector');
export const collectorConfig = join(collectorDir, 'config.yaml');
const manifest = join(collectorDir, 'builder.yaml');
const MODULE = 'boxoffice.dev/observability/otel-collector';
const builderBin = join(cacheDir, `otelcol-builder-${OTELCOL_BUILDER_VERSION}`, 'bin', 'builder');

/** The cached binary, named after the manifest and module pins it was built from (a change rebuilds). */
export function collectorBin(): string {
  const hash = createHash('sha256');
  for (const file of ['builder.yaml', 'go.mod', 'go.sum'])
    hash.update(readFileSync(join(collectorDir, file)));
  return join(cacheDir, `otelcol-boxoffice-${hash.digest('hex').slice(0, 12)}`, 'bin', 'otelcol-boxoffice');
}

const goEnv = (): NodeJS.ProcessEnv => ({ ...process.env, CGO_ENABLED: '0' });

function ensureBuilder(): void {
  if (existsSync(builderBin)) return;
  run(
    'go',
    ['install', '-trimpath', `go.opentelemetry.io/collector/cmd/builder@${OTELCOL_BUILDER_VERSION}`],
    {
      env: { ...goEnv(), GOBIN: join(builderBin, '..') },
      what: `building the OpenTelemetry Collector builder ${OTELCOL_BUILDER_VERSION}`,
    },
  );
}

/** builder.yaml with the build's module name and output directory (the manifest names neither). */
function builderConfig(outputPath: string): string {
  const config = parse(readFileSync(manifest, 'utf8')) as { dist: Record<string, unknown> };
  config.dist = { ...config.dist, module: MODULE, output_path: outputPath };
  const file = join(outputPath, '..', 'builder.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/** Builds the distribution unless it is cached; returns the binary. */
export function ensureCollector(log: (line: string) => void = console.error): string {
  const bin = collectorBin();
  if (existsSync(bin)) return bin;
  requireCommand('go', 'install Go 1.25+ (https://go.dev/dl) to build the OpenTelemetry Collector');
  log('boxoffice deps: building the OpenTelemetry Collector (first run only; a few minutes)');
  const started = Date.now();
  ensureBuilder();
  const work = mkdtempSync(join(cacheDir, 'otelcol-build-'));
  try {
    const sources = join(work, 'src');
    // Sources only: the module pins are the committed ones (updateCollectorModules writes them).
    run(builderBin, ['--config', builderConfig(sources), '--skip-compilation', '--skip-get-modules'], {
      env: goEnv(),
      what: 'generating the collector sources (ocb)',
    });
    for (const file of ['go.mod', 'go.sum']) copyFileSync(join(collectorDir, file), join(sources, file));
    mkdirSync(join(bin, '..'), { recursive: true });
    // Into a side file first: an interrupted build leaves nothing that looks finished.
    const partial = `${bin}.partial`;
    run(
      'go',
      [
        'build',
        '-mod=mod',
        '-trimpath',
        // As for Jaeger: parallel compiles are what the memory goes to.
        `-p=${Math.min(4, availableParallelism())}`,
        '-ldflags',
        '-s -w',
        '-o',
        partial,
        '.',
      ],
      { cwd: sources, env: goEnv(), what: 'building the OpenTelemetry Collector' },
    );
    renameSync(partial, bin);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log(`boxoffice deps: built the OpenTelemetry Collector in ${Math.round((Date.now() - started) / 1000)} s`);
  return bin;
}

/**
 * After a change to builder.yaml: lets the builder resolve the modules (`go mod tidy`) and writes
 * the resulting go.mod and go.sum beside the manifest, to be committed.
 */
export function updateCollectorModules(): void {
  requireCommand('go', 'install Go 1.25+ (https://go.dev/dl)');
  ensureBuilder();
  const work = mkdtempSync(join(cacheDir, 'otelcol-modules-'));
  try {
    const sources = join(work, 'src');
    run(builderBin, ['--config', builderConfig(sources), '--skip-compilation'], {
      env: goEnv(),
      what: 'resolving the collector modules (ocb)',
    });
    for (const file of ['go.mod', 'go.sum']) copyFileSync(join(sources, file), join(collectorDir, file));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) {
  if (process.argv.includes('--update-modules')) updateCollectorModules();
  console.log(ensureCollector());
}

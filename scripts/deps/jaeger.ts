import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Settings } from './env-file.ts';
import { DepsError } from './errors.ts';
import type { Part } from './part.ts';
import { PartState } from './part-state.ts';
import { cacheDir, repoRoot } from './paths.ts';
import { requireCommand } from './prerequisites.ts';
import { freePort, run, startDaemon, waitUntil } from './processes.ts';

/** Must match tools/jaeger/go.mod (the Go module's v1 tag; the binary it builds is Jaeger v2). */
export const JAEGER_MODULE_VERSION = 'v1.76.0';
/** The Jaeger v2 release built from that module version (its CHANGELOG: "v1.76.0 / v2.13.0"). */
export const JAEGER_VERSION = 'v2.13.0';
const moduleDir = join(repoRoot, 'tools', 'jaeger');
const jaegerBin = join(cacheDir, `jaeger-${JAEGER_MODULE_VERSION}`, 'bin', 'jaeger');
export const jaegerConfig = join(moduleDir, 'config.yaml');

/**
 * Jaeger v2 (`cmd/jaeger`), built once from the Go module proxy: the trace store the integration
 * tests read spans back from. Started with tools/jaeger/config.yaml: in-memory storage, OTLP gRPC
 * and HTTP receivers and the query API, every port on 127.0.0.1 and picked free at start.
 * Services export to it through OTEL_EXPORTER_OTLP_ENDPOINT; tests query JAEGER_QUERY_URL.
 */
export class Jaeger implements Part {
  readonly name = 'jaeger';
  private readonly state = new PartState('jaeger', ['jaeger']);

  /** A trace store of the user's: JAEGER_QUERY_URL for reading, OTEL_EXPORTER_OTLP_ENDPOINT for writing. */
  external(): Settings | undefined {
    const query = process.env.JAEGER_QUERY_URL;
    if (!query) return undefined;
    const otlp = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    if (!otlp)
      throw new DepsError(
        'JAEGER_QUERY_URL is set but OTEL_EXPORTER_OTLP_ENDPOINT (its OTLP/HTTP endpoint) is not',
      );
    return { JAEGER_QUERY_URL: query, OTEL_EXPORTER_OTLP_ENDPOINT: otlp };
  }

  goBuild() {
    return existsSync(jaegerBin)
      ? undefined
      : {
          what: `Jaeger ${JAEGER_VERSION}`,
          otherwise: 'set JAEGER_QUERY_URL (with OTEL_EXPORTER_OTLP_ENDPOINT)',
        };
  }

  async ensure(): Promise<void> {
    if (existsSync(jaegerBin)) return;
    requireCommand('go', 'install Go 1.25+ (https://go.dev/dl) to build Jaeger, or set JAEGER_QUERY_URL');
    console.error(
      `boxoffice deps: building Jaeger ${JAEGER_VERSION} from the Go module proxy (first run only; about 15 minutes and 2.5 GB of memory)`,
    );
    mkdirSync(join(jaegerBin, '..'), { recursive: true });
    // Into a side file first: an interrupted build leaves nothing that looks finished.
    const partial = `${jaegerBin}.partial`;
    // Jaeger's Makefile sets the version the same way; the module proxy carries no git commit.
    const ldflags = `-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=${JAEGER_VERSION}`;
    run(
      'go',
      [
        'build',
        '-trimpath',
        // Parallel compiles are what the memory goes to; a few at a time keeps a big machine near 2.5 GB too.
        `-p=${Math.min(4, availableParallelism())}`,
        '-ldflags',
        ldflags,
        '-o',
        partial,
        'github.com/jaegertracing/jaeger/cmd/jaeger',
      ],
      {
        cwd: moduleDir,
        env: { ...process.env, CGO_ENABLED: '0' },
        what: `building Jaeger ${JAEGER_VERSION}`,
      },
    );
    renameSync(partial, jaegerBin);
  }

  running(): boolean {
    return this.state.running();
  }

  async up(): Promise<Settings> {
    const saved = this.state.savedSettings();
    if (saved && this.running()) return saved;
    await this.state.stopAll();
    const ports = {
      JAEGER_OTLP_GRPC_PORT: await freePort(),
      JAEGER_OTLP_HTTP_PORT: await freePort(),
      JAEGER_QUERY_HTTP_PORT: await freePort(),
      JAEGER_QUERY_GRPC_PORT: await freePort(),
      JAEGER_HEALTH_PORT: await freePort(),
    };
    const logFile = this.state.logFile('jaeger');
    const pid = startDaemon({
      name: 'jaeger',
      command: jaegerBin,
      args: ['--config', jaegerConfig],
      // The config file reads its ports from the environment (${env:...}).
      env: { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) },
      cwd: this.state.dir,
      logFile,
      pidFile: this.state.pidFile('jaeger'),
    });
    const query = `http://127.0.0.1:${ports.JAEGER_QUERY_HTTP_PORT}`;
    await waitUntil(
      'Jaeger',
      async () =>
        (await fetch(`http://127.0.0.1:${ports.JAEGER_HEALTH_PORT}/status`)).ok &&
        (await fetch(`${query}/api/v3/services`)).ok,
      { timeoutMs: 30_000, pid, logFile },
    );
    const settings: Settings = {
      JAEGER_QUERY_URL: query,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${ports.JAEGER_OTLP_HTTP_PORT}`,
      JAEGER_OTLP_GRPC_ENDPOINT: `http://127.0.0.1:${ports.JAEGER_OTLP_GRPC_PORT}`,
    };
    this.state.saveSettings(settings);
    return settings;
  }

  async down(): Promise<void> {
    await this.state.stopAll();
  }

  async version(settings: Settings): Promise<string> {
    const response = await fetch(`${settings.JAEGER_QUERY_URL}/api/v3/services`);
    if (!response.ok) throw new DepsError(`Jaeger's query API answered ${response.status}`);
    // The query API does not say its version; the binary does (an external store: only where it is).
    if (!this.running()) return `Jaeger at ${settings.JAEGER_QUERY_URL}`;
    const info = JSON.parse(run(jaegerBin, ['version']).trim().split('\n').at(-1)!) as { gitVersion: string };
    return `Jaeger ${info.gitVersion} (in memory; query API ${settings.JAEGER_QUERY_URL})`;
  }
}

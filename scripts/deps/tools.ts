import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from './env-file.ts';
import type { Part } from './part.ts';
import { cacheDir } from './paths.ts';
import { ensureContainerTools, ensureDebianPackages, requireCommand } from './prerequisites.ts';
import { run, which } from './processes.ts';

export const K6_VERSION = 'v1.8.1';
const k6Bin = join(cacheDir, `k6-${K6_VERSION}`, 'bin', 'k6');

/**
 * Command-line tools the load and observability work runs (k6; Prometheus and promtool), and the
 * ones that build and smoke-run the container images (buildah, podman, runc, mmdebstrap).
 * Nothing is started: `up` only reports where they are.
 */
export class Tools implements Part {
  readonly name = 'tools';

  external(): Settings | undefined {
    return undefined;
  }

  async ensure(): Promise<void> {
    if (!process.env.K6_BIN && !existsSync(k6Bin)) {
      requireCommand('go', 'install Go 1.25+ (https://go.dev/dl) to build k6, or set K6_BIN');
      console.error(`boxoffice deps: building k6 ${K6_VERSION} (first run only)`);
      run('go', ['install', '-trimpath', '-ldflags', '-s -w', `go.k6.io/k6@${K6_VERSION}`], {
        env: { ...process.env, CGO_ENABLED: '0', GOBIN: join(k6Bin, '..') },
        what: `building k6 ${K6_VERSION}`,
      });
    }
    if (!which('promtool') || !which('prometheus')) ensureDebianPackages(['prometheus']);
    ensureContainerTools();
  }

  running(): boolean {
    return true;
  }

  async up(): Promise<Settings> {
    return {
      K6_BIN: process.env.K6_BIN ?? k6Bin,
      PROMETHEUS_BIN: requireCommand('prometheus', 'install the Debian package prometheus'),
      PROMTOOL_BIN: requireCommand('promtool', 'install the Debian package prometheus'),
    };
  }

  async down(): Promise<void> {}

  async version(settings: Settings): Promise<string> {
    const k6 = run(settings.K6_BIN!, ['version']).trim().split('\n')[0];
    return `${k6}; ${run(settings.PROMETHEUS_BIN!, ['--version']).split('\n')[0]}`;
  }
}

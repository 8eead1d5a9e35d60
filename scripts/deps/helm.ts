import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from './env-file.ts';
import type { Part } from './part.ts';
import { cacheDir, repoRoot } from './paths.ts';
import { requireCommand } from './prerequisites.ts';
import { run } from './processes.ts';

/** Must match tools/helm/go.mod. */
export const HELM_VERSION = 'v3.22.0';
const helmBin = join(cacheDir, `helm-${HELM_VERSION}`, 'bin', 'helm');
const moduleDir = join(repoRoot, 'tools', 'helm');

/**
 * The ldflags helm's Makefile sets. Without them `.Capabilities.KubeVersion` (what `helm template`
 * renders for, and what `kubeVersion` in Chart.yaml is checked against) falls back to v1.20, and
 * `helm version` prints no release. The Makefile derives Kubernetes 1.N from the client-go v0.N it
 * is built with; so does this. The Go module proxy carries no git commit, so gitCommit stays empty
 * rather than made up.
 */
function helmLdflags(): string {
  const clientGo = run('go', ['list', '-m', '-f', '{{.Version}}', 'k8s.io/client-go'], {
    cwd: moduleDir,
    what: 'reading the client-go version of tools/helm',
  }).trim();
  const [major, minor] = clientGo.replace(/^v/, '').split('.');
  const kubeMajor = String(Number(major) + 1);
  return [
    '-s -w',
    `-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}`,
    '-X helm.sh/helm/v3/internal/version.metadata=',
    '-X helm.sh/helm/v3/internal/version.gitTreeState=clean',
    `-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=${kubeMajor}`,
    `-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${minor}`,
    `-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=${kubeMajor}`,
    `-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${minor}`,
  ].join(' ');
}

/** helm, built once from tools/helm (the Go module proxy's helm.sh/helm/v3); nothing runs. */
export class Helm implements Part {
  readonly name = 'helm';

  external(): Settings | undefined {
    return process.env.HELM_BIN ? { HELM_BIN: process.env.HELM_BIN } : undefined;
  }

  goBuild() {
    return existsSync(helmBin) ? undefined : { what: `helm ${HELM_VERSION}`, otherwise: 'set HELM_BIN' };
  }

  async ensure(): Promise<void> {
    if (existsSync(helmBin)) return;
    requireCommand('go', 'install Go 1.26+ (https://go.dev/dl) to build helm, or set HELM_BIN');
    console.error(`boxoffice deps: building helm ${HELM_VERSION} from the Go module proxy (first run only)`);
    mkdirSync(join(helmBin, '..'), { recursive: true });
    run('go', ['build', '-trimpath', '-ldflags', helmLdflags(), '-o', helmBin, 'helm.sh/helm/v3/cmd/helm'], {
      cwd: moduleDir,
      env: { ...process.env, CGO_ENABLED: '0' },
      what: `building helm ${HELM_VERSION}`,
    });
  }

  running(): boolean {
    return true;
  }

  async up(): Promise<Settings> {
    return { HELM_BIN: helmBin };
  }

  async down(): Promise<void> {}

  async version(settings: Settings): Promise<string> {
    return `helm ${run(settings.HELM_BIN!, ['version', '--template', '{{.Version}}']).trim()}`;
  }
}

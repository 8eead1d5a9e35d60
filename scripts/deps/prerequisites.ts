import { spawnSync } from 'node:child_process';
import { DepsError } from './errors.ts';
import { run, which } from './processes.ts';

/** Fails with one clear message when a required command is missing. */
export function requireCommand(command: string, howToGet: string): string {
  const path = which(command);
  if (!path) throw new DepsError(`${command} is required but not on PATH: ${howToGet}`);
  return path;
}

function isInstalled(pkg: string): boolean {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

/**
 * Installs Debian packages that are missing, as root directly or through passwordless sudo.
 * Without either, says exactly which packages to install by hand.
 */
export function ensureDebianPackages(
  packages: string[],
  withoutApt = 'or point boxoffice at existing servers (README: "Using existing servers")',
): void {
  const missing = packages.filter((pkg) => !isInstalled(pkg));
  if (missing.length === 0) return;
  if (!which('apt-get')) {
    throw new DepsError(
      `missing packages ${missing.join(', ')} and apt-get is not available; install them, ${withoutApt}`,
    );
  }
  const asRoot = process.getuid?.() === 0;
  const prefix = asRoot ? [] : ['sudo', '-n'];
  if (!asRoot && !which('sudo')) {
    throw new DepsError(
      `missing packages ${missing.join(', ')}: run \`sudo apt-get install -y ${missing.join(' ')}\``,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): void => {
    const [cmd, ...rest] = [...prefix, 'apt-get', 'install', '-y', '--no-install-recommends', ...missing];
    run(cmd!, rest, { env, what: `apt-get install ${missing.join(' ')}` });
  };
  console.error(`boxoffice deps: installing ${missing.join(', ')} with apt-get`);
  try {
    install();
  } catch {
    const [cmd, ...rest] = [...prefix, 'apt-get', 'update'];
    run(cmd!, rest, { env, what: 'apt-get update' });
    install();
  }
}

/** The commands that build and run the container images without a Docker daemon (docs/operations.md). */
const containerTools = ['buildah', 'podman', 'runc', 'mmdebstrap'];
let containerToolsFound = false;

/**
 * Installs buildah, podman, runc and mmdebstrap from Debian when any is missing from PATH (once;
 * a machine that has them from elsewhere keeps its own).
 */
export function ensureContainerTools(): void {
  if (containerToolsFound || containerTools.every((command) => which(command))) {
    containerToolsFound = true;
    return;
  }
  ensureDebianPackages(
    containerTools,
    'or build the images with Docker instead (docs/operations.md: "Building the images")',
  );
  containerToolsFound = true;
}

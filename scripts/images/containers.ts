import { spawn } from 'node:child_process';
import { DepsError } from '../deps/errors.ts';
import { ensureContainerTools } from '../deps/prerequisites.ts';

/**
 * buildah and podman as this project runs them, without a Docker daemon. Facts of machines like
 * this one (a VM without systemd or a container runtime service): overlay storage works and vfs is
 * very slow; builds need chroot isolation (`--isolation chroot`); `podman run` needs the runc
 * runtime, explicit ulimits below the hard limits and host networking.
 */
const STORAGE_DRIVER = 'overlay';
export const ISOLATION = 'chroot';
export const RUNTIME = 'runc';
/**
 * Explicit and below the hard limits: podman's defaults (nofile 1048576, nproc 32768) or the hard
 * limits themselves make runc fail with "error setting rlimits … operation not permitted".
 */
export const ULIMITS = ['nofile=1024:1024', 'nproc=4096:4096'];

export interface ExecOptions {
  /** Also copy the tool's output to this process's stderr (progress for `npm run images`). */
  echo?: boolean;
  /** Resolve to stdout and stderr interleaved (e.g. `podman logs`), not stdout alone. */
  combined?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs a command and resolves to its stdout; rejects with a DepsError ending in its output's tail. */
export function exec(command: string, args: string[], options: ExecOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const output: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      output.push(chunk);
      if (options.echo) process.stderr.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output.push(chunk);
      if (options.echo) process.stderr.write(chunk);
    });
    child.on('error', (error) => reject(new DepsError(`${command} failed to run: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(options.combined ? output : stdout).toString('utf8'));
      const tail = Buffer.concat(output).toString('utf8').trim().split('\n').slice(-20).join('\n');
      reject(new DepsError(`${command} ${args.slice(0, 3).join(' ')} … failed (exit ${code}):\n${tail}`));
    });
  });
}

/** buildah on the machine's image store; the tools are installed first when missing. */
export async function buildah(args: string[], options?: ExecOptions): Promise<string> {
  await requireOverlayStore();
  return exec('buildah', args, options);
}

/** podman on the same image store as buildah, with the runc runtime. */
export async function podman(args: string[], options?: ExecOptions): Promise<string> {
  await requireOverlayStore();
  return exec('podman', [`--runtime=${RUNTIME}`, ...args], options);
}

let storeChecked: Promise<void> | undefined;

/**
 * The machine's image store must use overlay (vfs copies every layer: builds take many minutes).
 * Checked rather than forced with --storage-driver, which podman refuses on a store it
 * initialised with the default setting ("database configuration mismatch").
 */
function requireOverlayStore(): Promise<void> {
  storeChecked ??= (async () => {
    ensureContainerTools();
    const driver = (await exec('podman', ['info', '--format', '{{.Store.GraphDriverName}}'])).trim();
    if (driver !== STORAGE_DRIVER) {
      throw new DepsError(
        `podman's image store uses the "${driver}" storage driver; boxoffice's image builds need "${STORAGE_DRIVER}" (vfs is very slow): set driver = "${STORAGE_DRIVER}" in /etc/containers/storage.conf (rootless: ~/.config/containers/storage.conf) and reset the store (podman system reset)`,
      );
    }
  })();
  return storeChecked;
}

export async function imageExists(reference: string): Promise<boolean> {
  return podman(['image', 'exists', reference]).then(
    () => true,
    () => false,
  );
}

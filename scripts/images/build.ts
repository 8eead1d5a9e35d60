import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../deps/paths.ts';
import { ensureBaseImage } from './base-image.ts';
import { buildah, ISOLATION, ULIMITS, type ExecOptions } from './containers.ts';
import { npmBuildSecrets } from './npm-secrets.ts';

/**
 * The platform's one image (Dockerfile), built with buildah from the local base image: no Docker
 * daemon, no pull from a container registry (`--pull=never`), layers cached in the image store so
 * a rebuild after a code change redoes only the last steps.
 */
export const IMAGE_REPOSITORY = process.env.BOXOFFICE_IMAGE_REPOSITORY ?? 'localhost/boxoffice';
export const IMAGE_TAG = process.env.BOXOFFICE_IMAGE_TAG ?? 'dev';
export const IMAGE = `${IMAGE_REPOSITORY}:${IMAGE_TAG}`;

export interface BuiltImage {
  reference: string;
  baseImage: string;
  seconds: number;
}

function git(...args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined; // not a git checkout (a source tarball): the Dockerfile's defaults apply
  }
}

/** The OCI labels' values: version from git describe, the commit, and the origin when it is public. */
function labelArgs(): string[] {
  const values: Record<string, string | undefined> = {
    VERSION: process.env.BOXOFFICE_IMAGE_VERSION ?? git('describe', '--tags', '--always', '--dirty'),
    REVISION: git('rev-parse', 'HEAD'),
    SOURCE: git('remote', 'get-url', 'origin')?.match(/^https:\/\/[^@]+$/)?.[0],
  };
  return Object.entries(values).flatMap(([key, value]) => (value ? ['--build-arg', `${key}=${value}`] : []));
}

export async function buildImage(options: ExecOptions & { reference?: string } = {}): Promise<BuiltImage> {
  const started = Date.now();
  const reference = options.reference ?? IMAGE;
  const baseImage = await ensureBaseImage(options);
  const secrets = npmBuildSecrets();
  try {
    await buildah(
      [
        'build',
        `--isolation=${ISOLATION}`,
        '--layers',
        '--pull=never',
        ...ULIMITS.flatMap((limit) => ['--ulimit', limit]),
        '--build-arg',
        `BASE_IMAGE=${baseImage}`,
        ...labelArgs(),
        ...secrets.args,
        '--file',
        join(repoRoot, 'Dockerfile'),
        '--tag',
        reference,
        repoRoot,
      ],
      options,
    );
  } finally {
    secrets.remove();
  }
  return { reference, baseImage, seconds: (Date.now() - started) / 1000 };
}

/**
 * What skaffold asks of a custom builder (its contract, https://skaffold.dev/docs/builders/builder-types/custom/):
 * build and tag the image named by $IMAGE (fully qualified, with its tag) from $BUILD_CONTEXT, and
 * push it when $PUSH_IMAGE is "true". $PLATFORMS lists the target platforms; the buildah build
 * makes an image of this machine's platform only, so any other is refused rather than mislabelled.
 */
import { arch } from 'node:process';
import { DepsError } from '../deps/errors.ts';

export interface BuildPlan {
  image: string;
  push: boolean;
  /** The build context (the repository root: the Dockerfile copies from it). */
  context: string;
}

/** Node's process.arch as an OCI platform of linux. */
export const hostPlatform = (): string =>
  `linux/${({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ?? arch}`;

export function buildPlan(env: NodeJS.ProcessEnv, cwd: string): BuildPlan {
  const image = env.IMAGE?.trim();
  if (!image)
    throw new DepsError(
      'IMAGE is not set: skaffold sets it to the image to build (this script is its custom builder)',
    );
  if (!['true', 'false', undefined, ''].includes(env.PUSH_IMAGE))
    throw new DepsError(`PUSH_IMAGE must be "true" or "false", not "${env.PUSH_IMAGE}"`);
  const platforms = (env.PLATFORMS ?? '').split(',').filter(Boolean);
  const host = hostPlatform();
  const foreign = platforms.filter((platform) => platform !== host);
  if (foreign.length)
    throw new DepsError(
      `buildah builds for this machine's platform (${host}) only, not ${foreign.join(', ')}`,
    );
  return { image, push: env.PUSH_IMAGE === 'true', context: env.BUILD_CONTEXT || cwd };
}

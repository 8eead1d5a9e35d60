/**
 * npm run images — builds the platform's image with buildah (no Docker daemon) from the local
 * base image, which it makes first when missing. Prints the image reference and how to run each
 * service. See docs/operations.md.
 */
import { DepsError } from '../deps/errors.ts';
import { SERVICES } from '../../images/services.ts';
import { buildImage } from './build.ts';

try {
  const image = await buildImage({ echo: true });
  console.log(`\nbuilt ${image.reference} in ${image.seconds.toFixed(1)} s (base ${image.baseImage})`);
  console.log('run a service:  podman run --rm --network host --env-file … <image> <service>');
  console.log(`  services: ${Object.keys(SERVICES).join(', ')} (default: allocator)`);
} catch (error) {
  if (!(error instanceof DepsError)) throw error;
  console.error(`boxoffice images: ${error.message}`);
  process.exitCode = 1;
}

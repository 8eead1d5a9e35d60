/**
 * skaffold's custom builder (profile `buildah` of skaffold.yaml): builds the platform image with the
 * project's buildah build (scripts/images/build.ts, as `npm run images`: no Docker daemon) under
 * the name skaffold gives in $IMAGE, and pushes it when $PUSH_IMAGE is true.
 *
 *   IMAGE=registry.example.com/boxoffice:dev PUSH_IMAGE=false scripts/with-node24.sh node scripts/skaffold/build-image.ts
 *   … --dry-run   prints what it would do (JSON), builds nothing
 */
import { resolve } from 'node:path';
import { repoRoot } from '../deps/paths.ts';
import { DepsError } from '../deps/errors.ts';
import { buildImage } from '../images/build.ts';
import { buildah } from '../images/containers.ts';
import { buildPlan } from './build-plan.ts';

try {
  const plan = buildPlan(process.env, process.cwd());
  if (resolve(plan.context) !== repoRoot)
    throw new DepsError(`the build context must be the repository (${repoRoot}), not ${plan.context}`);
  if (process.argv.includes('--dry-run')) {
    console.log(JSON.stringify(plan));
  } else {
    const built = await buildImage({ reference: plan.image, echo: true });
    console.error(`built ${built.reference} in ${built.seconds.toFixed(1)} s`);
    if (plan.push) await buildah(['push', plan.image, `docker://${plan.image}`], { echo: true });
  }
} catch (error) {
  if (!(error instanceof DepsError)) throw error;
  console.error(`boxoffice skaffold build: ${error.message}`);
  process.exitCode = 1;
}

import { DepsError } from './errors.ts';
import type { Part } from './part.ts';
import { cacheDir } from './paths.ts';
import { which } from './processes.ts';

/** What one part would build from the Go module proxy now, and how to do without building it. */
export interface GoBuild {
  what: string;
  otherwise: string;
}

type PartBuild = GoBuild & { part: string };

/** The newest `go` directive among tools/*\/go.mod (KEDA's and helm's wrapper modules). */
const GO_NEEDED = '1.26';

/**
 * Everything this machine still has to build with Go, in one sentence, before any build starts: a
 * fresh machine without Go gets one message naming every part (and how to skip each), instead of
 * one part's failure after another part's half-hour build. Nothing when all is cached.
 */
export function goBuildPlan(builds: PartBuild[], goPath: string | undefined): string | undefined {
  if (builds.length === 0) return undefined;
  const list = builds.map((build) => build.what).join(', ');
  if (!goPath)
    throw new DepsError(
      [
        `Go ${GO_NEEDED}+ is required to build, once, what ${cacheDir} does not hold yet: ${list}.`,
        `Install it (https://go.dev/dl) and run again, or do without a part: ${builds
          .map((build) => `${build.part}: ${build.otherwise}`)
          .join('; ')}.`,
      ].join(' '),
    );
  return `boxoffice deps: first run on this machine: building ${list} from the Go module proxy into ${cacheDir} (reused by every later run and checkout)`;
}

/** Checks Go once for every part that would build, and says what will be built. */
export function checkGoBuilds(parts: Part[]): void {
  const builds = parts.flatMap((part) => {
    const build = part.goBuild?.();
    return build ? [{ ...build, part: part.name }] : [];
  });
  const plan = goBuildPlan(builds, builds.length ? which('go') : undefined);
  if (plan) console.error(plan);
}

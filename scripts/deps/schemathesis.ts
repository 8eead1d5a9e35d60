import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DepsError } from './errors.ts';
import { cacheDir } from './paths.ts';
import { run, which } from './processes.ts';

/** The API fuzzer (PyPI), pinned: its checks and its CLI flags change between releases. */
export const SCHEMATHESIS_VERSION = '4.32.5';
const venvDir = join(cacheDir, `schemathesis-${SCHEMATHESIS_VERSION}`);
const schemathesisBin = join(venvDir, 'bin', 'schemathesis');
/** Written last: a venv without it is an interrupted install, started again from scratch. */
const installedMarker = join(venvDir, '.installed');

const howToGetPython =
  'install Python 3.10+ with its venv module (Debian: `apt-get install python3 python3-venv`), or set SCHEMATHESIS_BIN';

/**
 * schemathesis, installed once into its own virtual environment in the shared cache (like the other
 * tools: kept between runs, shared by every checkout). Returns the path of the `schemathesis` command.
 */
export function ensureSchemathesis(): string {
  if (process.env.SCHEMATHESIS_BIN) return process.env.SCHEMATHESIS_BIN;
  if (existsSync(installedMarker)) return schemathesisBin;
  const python = which('python3');
  if (!python) throw new DepsError(`python3 is required for schemathesis but not on PATH: ${howToGetPython}`);
  rmSync(venvDir, { recursive: true, force: true });
  console.error(`boxoffice deps: installing schemathesis ${SCHEMATHESIS_VERSION} from PyPI (first run only)`);
  try {
    run(python, ['-m', 'venv', venvDir], { what: 'python3 -m venv' });
  } catch (error) {
    rmSync(venvDir, { recursive: true, force: true });
    const why = (error as Error).message.split('\n').slice(-1)[0];
    throw new DepsError(`python3 cannot create a virtual environment (${why}): ${howToGetPython}`);
  }
  run(
    join(venvDir, 'bin', 'python'),
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      `schemathesis==${SCHEMATHESIS_VERSION}`,
    ],
    { what: `pip install schemathesis==${SCHEMATHESIS_VERSION}` },
  );
  writeFileSync(installedMarker, `${SCHEMATHESIS_VERSION}\n`);
  return schemathesisBin;
}

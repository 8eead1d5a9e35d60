import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DepsError } from './errors.ts';
import { run } from './processes.ts';

/** The account PostgreSQL runs as when we are root (it refuses to run as root). */
export interface ServerUser {
  uid: number;
  gid: number;
}

export function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    return {
      uid: Number(run('id', ['-u', 'postgres']).trim()),
      gid: Number(run('id', ['-g', 'postgres']).trim()),
    };
  } catch {
    throw new DepsError(
      'PostgreSQL refuses to run as root and there is no `postgres` user to run it as: install the Debian package postgresql-15 (it creates the user), run as a normal user, or set DATABASE_URL to an existing server',
    );
  }
}

/** `command` run as the server user through setpriv, which execs in place (the PID is the server's own). */
export function asServerUser(
  user: ServerUser | undefined,
  command: string,
  args: string[],
): { command: string; args: string[] } {
  if (!user) return { command, args };
  return {
    command: 'setpriv',
    args: [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', command, ...args],
  };
}

/** Whether the server user can get to `dir` (search permission on it and on every parent). */
const canEnter = (user: ServerUser, dir: string, write = false): boolean => {
  const probe = asServerUser(user, 'test', write ? ['-w', dir, '-a', '-x', dir] : ['-x', dir]);
  return spawnSync(probe.command, probe.args).status === 0;
};

const privateTo = (user: ServerUser, dir: string): boolean => {
  const stat = lstatSync(dir, { throwIfNoEntry: false });
  return !!stat && stat.isDirectory() && stat.uid === user.uid && (stat.mode & 0o077) === 0;
};

/**
 * Where the server keeps its data directory and socket. As a normal user, and as root when the
 * server user can reach it: in the checkout's state directory (`partDir`). A checkout under a
 * directory other users cannot enter (/root, a `mktemp -d` folder) is out of the server user's
 * reach, so its data goes to a private directory under /var/tmp instead (mkdtemp, mode 0700, owned
 * by the server user), whose path is kept in `partDir/server-dir` for the next start.
 */
export function serverHome(partDir: string, user: ServerUser | undefined): string {
  if (!user) return partDir;
  const pointer = join(partDir, 'server-dir');
  const recorded = existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : '';
  if (recorded && privateTo(user, recorded)) return recorded;
  if (!recorded && canEnter(user, partDir)) return partDir;
  const base = existsSync('/var/tmp') ? '/var/tmp' : tmpdir();
  const home = mkdtempSync(join(base, 'boxoffice-postgres-'));
  chownSync(home, user.uid, user.gid);
  if (!canEnter(user, home, true))
    throw new DepsError(
      `PostgreSQL runs as the postgres user, which cannot reach ${partDir} nor ${home}; clone the repository where other users may enter, run as a normal user, or set DATABASE_URL to an existing server`,
    );
  writeFileSync(pointer, `${home}\n`);
  return home;
}

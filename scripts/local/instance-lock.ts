import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAlive } from '../deps/processes.ts';

/**
 * One `npm start` per state directory: a second one reports the first instead of fighting it
 * over ports and processes. A lock left by a crashed run (dead PID) is taken over.
 */
export function acquireInstanceLock(
  file: string,
): { ok: true; release: () => void } | { ok: false; pid: number } {
  if (existsSync(file)) {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) return { ok: false, pid };
  }
  writeFileSync(file, `${process.pid}\n`);
  return { ok: true, release: () => rmSync(file, { force: true }) };
}

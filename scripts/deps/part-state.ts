import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from './env-file.ts';
import { depsStateDir } from './paths.ts';
import { isAlive, readPid, stopDaemon } from './processes.ts';

/** Where one part keeps its data, logs, PID files and last settings. */
export class PartState {
  readonly dir: string;
  readonly processes: string[];

  constructor(name: string, processes: string[]) {
    this.dir = join(depsStateDir, name);
    this.processes = processes;
    mkdirSync(this.dir, { recursive: true });
  }

  pidFile(process: string): string {
    return join(this.dir, `${process}.pid`);
  }

  logFile(process: string): string {
    return join(this.dir, `${process}.log`);
  }

  /** True only when every process of the part is alive. */
  running(): boolean {
    return this.processes.every((name) => {
      const pid = readPid(this.pidFile(name));
      return pid !== undefined && isAlive(pid);
    });
  }

  saveSettings(settings: Settings): void {
    writeFileSync(join(this.dir, 'settings.json'), JSON.stringify(settings, null, 2));
  }

  savedSettings(): Settings | undefined {
    const file = join(this.dir, 'settings.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Settings) : undefined;
  }

  /** Stops the processes in reverse start order, so clients go before their servers. */
  async stopAll(): Promise<void> {
    for (const name of [...this.processes].reverse()) await stopDaemon(this.pidFile(name));
    rmSync(join(this.dir, 'settings.json'), { force: true });
  }
}

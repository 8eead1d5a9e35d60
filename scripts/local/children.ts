import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

export interface Child {
  name: string;
  process: ChildProcess;
  logFile: string;
}

/** Starts a platform process (a service, the operator) with its output in its own log file. */
export function startChild(name: string, entrypoint: string, env: NodeJS.ProcessEnv, logDir: string): Child {
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', '@boxoffice/platform/telemetry/register', entrypoint], {
    env: { ...process.env, ...env, OTEL_SERVICE_NAME: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return { name, process: child, logFile };
}

/** SIGTERM to each child, waiting for all to exit (they finish in-flight work first). */
export async function stopChildren(children: Child[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.process.exitCode !== null || child.process.signalCode !== null) return resolve();
          child.process.once('exit', () => resolve());
          child.process.kill('SIGTERM');
        }),
    ),
  );
}

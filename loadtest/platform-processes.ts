import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../scripts/deps/paths.ts';

export interface PlatformProcess {
  name: string;
  child: ChildProcess;
  url: string;
}

/**
 * Starts a boxoffice process with its log in `logDir`: `services/<service>/src/main.ts` with
 * telemetry off and warnings only, unless `asImage` runs it as a pod does (`images/entrypoint.ts
 * <service>`: the telemetry SDK loaded first), with `env` deciding tracing and the log level.
 */
export function startService(
  name: string,
  service: string,
  port: number,
  env: NodeJS.ProcessEnv,
  logDir: string,
  nodeArgs: string[] = [],
  asImage = false,
  logName = name,
): PlatformProcess {
  const log = createWriteStream(join(logDir, `${logName}.log`));
  const main = asImage
    ? [join(repoRoot, 'images', 'entrypoint.ts'), service]
    : [join(repoRoot, 'services', service, 'src', 'main.ts')];
  const child = spawn(process.execPath, [...nodeArgs, ...main], {
    env: {
      ...process.env,
      ...(asImage ? {} : { OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'warn' }),
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return { name, child, url: `http://127.0.0.1:${port}` };
}

/** Waits until `/readyz` answers 200 (the process is up and its dependencies reachable). */
export async function waitReady(process: PlatformProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process.child.exitCode !== null)
      throw new Error(`${process.name} exited with ${process.child.exitCode}`);
    const ok = await fetch(`${process.url}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`${process.name} was not ready within ${timeoutMs / 1000}s`);
}

/** SIGTERM to each process (by its PID); SIGKILL to any still alive after `graceMs`. */
export async function stopAll(processes: PlatformProcess[], graceMs = 15_000): Promise<void> {
  await Promise.all(
    processes.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../deps/paths.ts';
import { boxofficeImageCommand, containerArgv, type ImageCommand } from './image-command.ts';
import type { ContainerLaunch, PodRuntime, StartedContainer } from './runtime.ts';

/**
 * Containers as Node.js processes of this checkout: the image's own ENTRYPOINT and CMD (from the
 * Dockerfile) with the pod's command and args, run from the checkout instead of the image's
 * WORKDIR, so `args: ["operator"]` runs `node images/entrypoint.ts operator` as the container
 * would. Nothing to build; a code change is picked up by the next start.
 *
 * A process gets the pod's environment and little else from this machine (PATH, HOME, TMPDIR,
 * locale), as a container would: settings missing from the pod spec must show up as missing.
 */
const HOST_ENV = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ'];

export function nodeRuntime(image: ImageCommand = boxofficeImageCommand()): PodRuntime {
  return {
    kind: 'node',
    async start(launch: ContainerLaunch): Promise<StartedContainer> {
      const [program, ...argv] = containerArgv(image, launch);
      if (program !== 'node')
        throw new Error(
          `container ${launch.container.name} runs "${program}": the local runtime runs node commands only`,
        );
      const env: NodeJS.ProcessEnv = Object.fromEntries(
        HOST_ENV.flatMap((key) => (process.env[key] === undefined ? [] : [[key, process.env[key]]])),
      );
      Object.assign(env, launch.env);
      if (launch.serviceAccount) env.KUBECONFIG = launch.serviceAccount.kubeconfig;
      const log = createWriteStream(launch.logFile, { flags: 'a' });
      const child = spawn(process.execPath, argv, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.pipe(log);
      child.stderr.pipe(log);
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
        child.once('error', () => resolve({ code: child.exitCode ?? 127, signal: null }));
      });
      await Promise.race([once(child, 'spawn'), exited]);
      return {
        description: `pid ${child.pid}`,
        exited,
        async stop(graceSeconds) {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const gone = new AbortController();
          void sleep(graceSeconds * 1000, undefined, { signal: gone.signal }).then(
            () => child.kill('SIGKILL'),
            () => undefined,
          );
          await exited;
          gone.abort();
        },
      };
    },
  };
}

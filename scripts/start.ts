/**
 * npm start — the whole platform on one machine: the real dependencies, boxoffice's and KEDA's
 * CRDs, the operator, purchase-api, query-api, and the workload runner that plays the kubelet for
 * allocator pods; then the example TicketEvents. Ctrl-C stops everything this run started.
 * `npm start -- --fresh` wipes the state directory (data, logs) first.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { downAll, parts, upAll } from './deps/deps.ts';
import { DepsError } from './deps/errors.ts';
import { repoRoot, stateDir } from './deps/paths.ts';
import { run } from './deps/processes.ts';
import { startChild, stopChildren, type Child } from './local/children.ts';
import { acquireInstanceLock } from './local/instance-lock.ts';
import { localKafkaEnv, localPlatformEnv, printWelcome } from './local/platform-env.ts';
import { startWorkloadRunner, type WorkloadRunner } from './local/workload-runner.ts';

if (process.argv.includes('--fresh') && existsSync(stateDir)) {
  await downAll();
  rmSync(stateDir, { recursive: true, force: true });
}
mkdirSync(stateDir, { recursive: true });
const acquired = acquireInstanceLock(join(stateDir, 'start.pid'));
if (!acquired.ok) {
  console.error(
    `boxoffice is already running (pid ${acquired.pid}); use that one, or stop it with Ctrl-C in its terminal.`,
  );
  process.exit(1);
}
const lock = acquired;

const logDir = join(stateDir, 'logs');
mkdirSync(logDir, { recursive: true });
const children: Child[] = [];
let runner: WorkloadRunner | undefined;
let startedParts: string[] = [];
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nstopping boxoffice…');
    await runner?.stop();
    await stopChildren(children);
    for (const part of [...parts].reverse()) if (startedParts.includes(part.name)) await part.down();
    lock.release();
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  const { settings, versions, started } = await upAll();
  startedParts = started;
  console.log(`dependencies: ${versions.join(' · ')}`);
  const env = await localPlatformEnv(settings);
  const kubectl = (...args: string[]): string =>
    run(settings.KUBECTL ?? 'kubectl', [`--kubeconfig=${settings.KUBECONFIG}`, ...args]);

  const crdDir = join(repoRoot, 'operator', 'crd');
  if (existsSync(crdDir))
    kubectl('apply', '--server-side', '--force-conflicts', '--field-manager=boxoffice-start', '-f', crdDir);

  const entrypoints: [string, string][] = [
    ['purchase-api', join(repoRoot, 'services', 'purchase-api', 'src', 'main.ts')],
    ['query-api', join(repoRoot, 'services', 'query-api', 'src', 'main.ts')],
    ['operator', join(repoRoot, 'operator', 'src', 'main.ts')],
  ];
  for (const [name, entrypoint] of entrypoints) {
    if (existsSync(entrypoint))
      children.push(startChild(name, entrypoint, { ...env, ...localKafkaEnv(settings, name) }, logDir));
    else console.log(`(${name} is not built yet: ${entrypoint} is missing)`);
  }
  for (const child of children) {
    child.process.on('exit', (code, signal) => {
      if (!stopping) console.error(`${child.name} exited (${signal ?? code}); see ${child.logFile}`);
    });
  }
  runner = await startWorkloadRunner({
    kubeconfig: settings.KUBECONFIG!,
    logDir,
    log: (line) => console.log(`[workloads] ${line}`),
  });

  const examples = join(repoRoot, 'examples');
  const manifests = existsSync(examples) ? readdirSync(examples).filter((f) => f.endsWith('.yaml')) : [];
  for (const manifest of manifests) console.log(kubectl('apply', '-f', join(examples, manifest)).trim());

  await printWelcome(settings, env, logDir);
} catch (error) {
  console.error(`boxoffice: ${error instanceof DepsError ? error.message : (error as Error).stack}`);
  await stop(1);
}

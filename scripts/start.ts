/**
 * npm start — the whole platform on one machine, installed with the Helm chart: the real
 * dependencies, then `helm upgrade --install` of charts/boxoffice onto the local control plane,
 * whose pods (operator, purchase-api, query-api, each event's allocator) the local kubelet
 * stand-in runs as Node.js processes of this checkout; then the example TicketEvents. Beside them, a
 * Prometheus scraping every pod with the alert rules loaded, and the pods' spans sent to the trace
 * store (Jaeger, one of the dependencies): docs/observability.md, "On your machine". Ctrl-C
 * stops everything this run started (the release stays installed: the next start finds it).
 * `npm start -- --fresh` wipes the state directory (data, logs) first.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ruleFiles } from '../observability/alerts/rule-files.ts';
import { DepsError } from './deps/errors.ts';
import { repoRoot, stateDir } from './deps/paths.ts';
import { run, stopDaemon } from './deps/processes.ts';
import { exec } from './images/containers.ts';
import { adoptIntoRelease, clusterScopedObjects } from './local/adopt.ts';
import { acquireInstanceLock } from './local/instance-lock.ts';
import { nodeRuntime } from './local/node-runtime.ts';
import {
  LOCAL_DEVELOPMENT_ENV,
  LOCAL_JWT_SECRET,
  LOCAL_WEBHOOK_SECRET,
  printWelcome,
} from './local/platform-env.ts';
import { LocalPrometheus, PID_FILE as PROMETHEUS_PID_FILE } from './local/prometheus.ts';
import { localReleaseValues } from './local/release-values.ts';
import { serviceEndpoints } from './local/service-endpoints.ts';
import { startWorkloadRunner, type WorkloadRunner } from './local/workload-runner.ts';

const release = { name: 'boxoffice', namespace: 'boxoffice' };
const chartDir = join(repoRoot, 'charts', 'boxoffice');
const startedAt = Date.now();
const prometheusDir = join(stateDir, 'prometheus');

if (process.argv.includes('--fresh') && existsSync(stateDir)) {
  // In a process of its own: loading the dependencies' modules creates their state directories,
  // which this one may do only after the wipe.
  run(process.execPath, [join(repoRoot, 'scripts', 'deps', 'cli.ts'), 'down'], {
    what: 'npm run deps -- down',
  });
  // A Prometheus left by a killed run goes first: its PID file is about to be wiped.
  await stopDaemon(join(prometheusDir, PROMETHEUS_PID_FILE));
  rmSync(stateDir, { recursive: true, force: true });
}
const { parts, upAll } = await import('./deps/deps.ts');
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
let runner: WorkloadRunner | undefined;
let prometheus: LocalPrometheus | undefined;
let startedParts: string[] = [];
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nstopping boxoffice…');
    await runner?.stop();
    await prometheus?.stop();
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
  const kubectl = (...args: string[]): string =>
    run(settings.KUBECTL ?? 'kubectl', [`--kubeconfig=${settings.KUBECONFIG}`, ...args]);
  // Asynchronous: the runner in this process must go on running pods while helm waits for them.
  const helm = (...args: string[]): Promise<string> =>
    exec(settings.HELM_BIN ?? 'helm', [...args, `--kubeconfig=${settings.KUBECONFIG}`]);

  // The pods' logs and the runner's, one file each; on the console what a developer should see.
  const runnerLog = join(logDir, 'workloads.log');
  runner = await startWorkloadRunner({
    kubeconfig: settings.KUBECONFIG!,
    runtime: nodeRuntime(),
    logDir,
    workDir: join(stateDir, 'pods'),
    log: (line, level) => {
      appendFileSync(runnerLog, `${new Date().toISOString()} ${level} ${line}\n`);
      if (level !== 'debug') console.log(`[workloads] ${line}`);
    },
  });

  // Started beside the chart's install (it follows the pods as the runner starts them), awaited
  // before the welcome names its URL.
  prometheus = new LocalPrometheus({
    bin: settings.PROMETHEUS_BIN!,
    dir: prometheusDir,
    logFile: join(logDir, 'prometheus.log'),
    ruleFiles: ruleFiles().map((file) => join(repoRoot, file)),
    pods: () => runner!.pods(),
  });
  const prometheusStarted = prometheus.start();
  prometheusStarted.catch(() => undefined); // reported where it is awaited

  const values = join(stateDir, 'release-values.json');
  writeFileSync(
    values,
    JSON.stringify(
      localReleaseValues({
        settings,
        // Never pulled: the local runtime runs the checkout. The allocators' image, too.
        image: { repository: 'localhost/boxoffice', tag: 'dev', pullPolicy: 'Never' },
        jwtSecret: LOCAL_JWT_SECRET,
        webhookSecret: LOCAL_WEBHOOK_SECRET,
        apiEnv: LOCAL_DEVELOPMENT_ENV,
        // Every pod's spans to the trace store of the dependencies (Jaeger), every trace kept.
        otlpEndpoint: settings.OTEL_EXPORTER_OTLP_ENDPOINT,
      }),
      null,
      2,
    ),
    { mode: 0o600 },
  );
  const target = ['-n', release.namespace, '-f', values];
  const rendered = await helm('template', release.name, chartDir, ...target);
  const adopted = adoptIntoRelease(kubectl, clusterScopedObjects(rendered), release);
  for (const object of adopted)
    console.log(`handed ${object.kind} ${object.name} to the release ${release.name}`);
  console.log(
    `installing the chart: helm upgrade --install ${release.name} charts/boxoffice -n ${release.namespace}`,
  );
  await helm(
    'upgrade',
    '--install',
    release.name,
    chartDir,
    ...target,
    '--create-namespace',
    '--wait',
    '--timeout=5m',
  );

  const examples = join(repoRoot, 'examples');
  const manifests = existsSync(examples) ? readdirSync(examples).filter((f) => f.endsWith('.yaml')) : [];
  for (const manifest of manifests) console.log(kubectl('apply', '-f', join(examples, manifest)).trim());

  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(settings.KUBECONFIG!);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  // The guide's URLs answer once printed: the first ready pod of each API's Service (helm's --wait
  // may have trusted a status left over from the last run, which the runner corrects).
  const url = async (component: string): Promise<string> => {
    const deadline = Date.now() + 300_000;
    for (;;) {
      const [endpoint] = await serviceEndpoints(core, runner!.pods(), {
        namespace: release.namespace,
        name: `${release.name}-${component}`,
        port: 'http',
      });
      if (endpoint) return endpoint;
      if (Date.now() > deadline) throw new DepsError(`${component} did not get ready; see ${runnerLog}`);
      await sleep(250);
    }
  };
  await printWelcome({
    settings,
    purchaseApi: await url('purchase-api'),
    queryApi: await url('query-api'),
    prometheus: (await prometheusStarted).url,
    release,
    logDir,
  });
  console.log(`started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(`boxoffice: ${error instanceof DepsError ? error.message : (error as Error).stack}`);
  await stop(1);
}

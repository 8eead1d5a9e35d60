/**
 * npm run bench:operator — the operator alone at scale: OPERATOR_SCALE_EVENTS (1,000) TicketEvents
 * created at once against the local control plane, PostgreSQL and Kafka, and the operator as its
 * own process (`node operator/src/main.ts`, the shipped RBAC, production defaults). No allocator
 * process runs: KWOK plays the kubelet (tools/kwok/stages.yaml), so each allocator pod is reported
 * Running and Ready without starting, and "Ready" means everything the operator is responsible for
 * exists and says so: the partitions, the shard rows, the Deployment rolled out with a replica
 * available (as the kubelet reports it), the ScaledObject applied. Allocator start-up is not in it.
 *
 * Measures: time from the first create to the last Ready; reconcile duration p50/p99; Kubernetes
 * API requests per reconcile counted by the operator (boxoffice_operator_kube_requests_total) and
 * by the API server (apiserver_request_total, every client, for the operator's resources); Kafka
 * admin requests and PostgreSQL statements per reconcile; then OPERATOR_SCALE_IDLE_SECONDS (90) with
 * the events idle: CPU, memory, and what the resyncs cost. Writes loadtest/results/operator-scale.json
 * and .md (the "Operator at 1,000 events" section of BENCHMARKS.md).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { dependencies, kubeConfig, kubectl } from '@boxoffice/testkit';
import { upAll } from '../scripts/deps/deps.ts';
import { repoRoot } from '../scripts/deps/paths.ts';
import { operatorConfig } from '../operator/src/config.ts';
import { EVENT_NAME_LABEL, EVENT_NAMESPACE_LABEL } from '../operator/src/desired/index.ts';
import { GROUP, PLURAL, VERSION, type TicketEvent } from '../operator/src/ticket-event.ts';
import { OperatorWorld, ticketEvent } from '../operator/test/fixtures.ts';
import { OperatorProcess } from '../operator/test/operator-process.ts';
import {
  delta,
  histogramQuantile,
  parsePrometheusText,
  sumBy,
  total,
  type Sample,
} from './operator-scale/prometheus-text.ts';

const EVENTS = Number(process.env.OPERATOR_SCALE_EVENTS ?? 1_000);
const IDLE_SECONDS = Number(process.env.OPERATOR_SCALE_IDLE_SECONDS ?? 90);
const READY_TIMEOUT_SECONDS = Number(process.env.OPERATOR_SCALE_TIMEOUT_SECONDS ?? 900);
const OUT = process.env.OPERATOR_SCALE_OUT ?? 'operator-scale';
/** How many creates are in flight at once: "applied at once", as fast as the API server takes them. */
const CREATE_PARALLELISM = 50;
/** KWOK nodes hold 250 pods each; every allocator Deployment asks for one replica (no KEDA runs). */
const PODS_PER_NODE = 250;
/** Operator settings passed through (unset: the operator's defaults, as the chart ships them). */
const PASSED = ['RECONCILE_CONCURRENCY', 'RECONCILE_RATE_PER_SECOND', 'RECONCILE_BURST', 'RESYNC_SECONDS'];

await upAll();
const settings = dependencies();
const admin = kubeConfig();
const custom = admin.makeApiClient(CustomObjectsApi);
const core = admin.makeApiClient(CoreV1Api);

// Pods for every allocator: extra fake nodes, managed by the same KWOK (its annotation selector).
const nodes = Array.from({ length: Math.ceil(EVENTS / (PODS_PER_NODE - 10)) }, (_, i) => `kwok-opscale-${i}`);
for (const name of nodes) {
  const resources = { cpu: '64', memory: '512Gi', pods: String(PODS_PER_NODE) };
  await core.deleteNode({ name }).catch(() => undefined);
  await core.createNode({
    body: {
      metadata: {
        name,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', type: 'kwok' },
      },
      status: { allocatable: resources, capacity: resources },
    },
  });
}

const world = await new OperatorWorld().start('opscale', { operator: false });
const { namespace } = world;
const passed = Object.fromEntries(PASSED.flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));
// The fixture's short test resync is not what ships: the production default unless passed.
const env = { ...world.env(), RESYNC_SECONDS: '30', LOG_LEVEL: 'warn', ...passed };
const effective = operatorConfig.parse(env);
const operator = await new OperatorProcess('opscale-operator').start({
  ...env,
  KUBECONFIG: world.identity.file,
});

const scrape = async (): Promise<Sample[]> => parsePrometheusText((await operator.get('/metrics')).body);
async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
await until('the operator to lead', () => operator.leading(), 60_000);

/** The API server's own request counters (admin client certificate), for every client. */
function apiserverMetrics(): Promise<Sample[]> {
  const pki = (file: string) => readFileSync(join(settings.kubePkiDir!, file));
  return new Promise((resolve, reject) => {
    const req = request(
      `${settings.kubeApiServerUrl}/metrics`,
      { ca: pki('ca.crt'), cert: pki('admin.crt'), key: pki('admin.key') },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(parsePrometheusText(body)));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
const apiserverByResource = (samples: Sample[]) =>
  sumBy(
    samples.filter(
      (s) =>
        s.name === 'apiserver_request_total' &&
        ['ticketevents', 'deployments', 'scaledobjects', 'events'].includes(s.labels.resource ?? ''),
    ),
    'apiserver_request_total',
    ['verb', 'resource', 'subresource'],
  );

// When each event's parts appeared, by polling lists (as the admin): a watch that drops under load
// would silently stop counting. `applied`: the operator's first pass is done (topic and shard rows
// ready, status written); `available`: the control plane and KWOK made its Deployment available
// (not the operator's work); `ready`: the operator reported Ready.
const appliedAt = new Map<string, number>();
const availableAt = new Map<string, number>();
const readyAt = new Map<string, number>();
const apps = admin.makeApiClient(AppsV1Api);
let polling = true;
const poll = (async () => {
  while (polling) {
    const now = Date.now();
    const [events, deployments] = await Promise.all([
      custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL }),
      apps.listNamespacedDeployment({
        namespace: world.platformNamespace,
        labelSelector: `${EVENT_NAMESPACE_LABEL}=${namespace}`,
      }),
    ]).catch(() => [undefined, undefined] as const);
    for (const event of (events as { items?: TicketEvent[] } | undefined)?.items ?? []) {
      const condition = (type: string) => event.status?.conditions?.find((c) => c.type === type)?.status;
      const { name } = event.metadata;
      if (
        condition('TopicReady') === 'True' &&
        condition('InventoryReady') === 'True' &&
        !appliedAt.has(name)
      )
        appliedAt.set(name, now);
      if (condition('Ready') === 'True' && !readyAt.has(name)) readyAt.set(name, now);
    }
    for (const deployment of deployments?.items ?? []) {
      const name = deployment.metadata?.labels?.[EVENT_NAME_LABEL];
      if (name && (deployment.status?.availableReplicas ?? 0) >= 1 && !availableAt.has(name))
        availableAt.set(name, now);
    }
    await sleep(2_000);
  }
})();

const before = { operator: await scrape(), apiserver: await apiserverMetrics(), at: Date.now() };
console.error(`operator-scale: creating ${EVENTS} TicketEvents in ${namespace}`);
const names = Array.from({ length: EVENTS }, (_, i) => `e${String(i).padStart(4, '0')}`);
const started = Date.now();
let next = 0;
await Promise.all(
  Array.from({ length: CREATE_PARALLELISM }, async () => {
    while (next < names.length) {
      const name = names[next++]!;
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        body: ticketEvent(namespace, name, {
          allocator: { minReplicas: 1, maxReplicas: 3, lagThreshold: 50 },
        }),
      });
    }
  }),
);
const created = Date.now();
console.error(`operator-scale: created in ${((created - started) / 1000).toFixed(1)} s; waiting for Ready`);
let lastReport = 0;
await until(
  `all ${EVENTS} TicketEvents Ready`,
  () => {
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      console.error(
        `operator-scale: ${appliedAt.size} applied, ${availableAt.size} available, ${readyAt.size}/${EVENTS} Ready after ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
    }
    return readyAt.size >= EVENTS;
  },
  READY_TIMEOUT_SECONDS * 1000,
).catch((error: Error) => console.error(`operator-scale: ${error.message}; reporting what was reached`));
const readyCount = readyAt.size;
const allReady = Math.max(...readyAt.values());
polling = false;
await poll;
const last = (map: Map<string, number>) => (Math.max(...map.values()) - started) / 1000;
/** Per event: from its Deployment turning available to the operator reporting Ready. */
const reportLag = [...readyAt]
  .map(([name, at]) => (at - (availableAt.get(name) ?? at)) / 1000)
  .sort((a, b) => a - b);
const afterApply = { operator: await scrape(), apiserver: await apiserverMetrics(), at: Date.now() };

console.error(
  `operator-scale: all Ready after ${((allReady - started) / 1000).toFixed(1)} s; idle for ${IDLE_SECONDS} s`,
);
// The idle window starts once the queue drained, so it holds only resyncs.
await until(
  'an empty queue',
  async () => total(await scrape(), 'boxoffice_operator_queue_depth') === 0,
  120_000,
);
const idleStart = { operator: await scrape(), apiserver: await apiserverMetrics(), at: Date.now() };
await sleep(IDLE_SECONDS * 1000);
const idleEnd = { operator: await scrape(), apiserver: await apiserverMetrics(), at: Date.now() };

type Snapshot = typeof before;
function costs(from: Snapshot, to: Snapshot) {
  const reconciles =
    total(to.operator, 'boxoffice_operator_reconciles_total') -
    total(from.operator, 'boxoffice_operator_reconciles_total');
  const per = (map: Map<string, number>) =>
    Object.fromEntries(
      [...map]
        .sort((a, b) => b[1] - a[1])
        .map(([key, count]) => [key.trim(), { count, perReconcile: reconciles ? count / reconciles : 0 }]),
    );
  const counter = (name: string, by: string[]) =>
    delta(sumBy(from.operator, name, by), sumBy(to.operator, name, by));
  const kube = counter('boxoffice_operator_kube_requests_total', ['verb', 'resource']);
  const kafka = counter('boxoffice_operator_kafka_requests_total', ['api']);
  const postgres = counter('boxoffice_operator_postgres_statements_total', ['statement']);
  const sum = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0);
  const seconds = (to.at - from.at) / 1000;
  const cpu =
    total(to.operator, 'process_cpu_seconds_total') - total(from.operator, 'process_cpu_seconds_total');
  const errors =
    total(to.operator, 'boxoffice_operator_reconciles_total', { result: 'error' }) -
    total(from.operator, 'boxoffice_operator_reconciles_total', { result: 'error' });
  const duration = 'boxoffice_operator_reconcile_duration_seconds';
  return {
    seconds,
    reconciles,
    reconcilesPerSecond: reconciles / seconds,
    retriedErrors: errors,
    reconcileSeconds: {
      p50: histogramQuantile(from.operator, to.operator, duration, 0.5),
      p99: histogramQuantile(from.operator, to.operator, duration, 0.99),
    },
    stepSeconds: Object.fromEntries(
      ['provision', 'children', 'counters', 'status'].map((step) => [
        step,
        {
          p50: histogramQuantile(
            from.operator,
            to.operator,
            'boxoffice_operator_reconcile_step_seconds',
            0.5,
            {
              step,
            },
          ),
          p99: histogramQuantile(
            from.operator,
            to.operator,
            'boxoffice_operator_reconcile_step_seconds',
            0.99,
            { step },
          ),
        },
      ]),
    ) as Record<string, { p50: number; p99: number }>,
    kubeRequests: {
      total: sum(kube),
      perReconcile: reconciles ? sum(kube) / reconciles : 0,
      byVerb: per(kube),
    },
    kafkaRequests: {
      total: sum(kafka),
      perReconcile: reconciles ? sum(kafka) / reconciles : 0,
      byApi: per(kafka),
    },
    postgresStatements: {
      total: sum(postgres),
      perReconcile: reconciles ? sum(postgres) / reconciles : 0,
      byKind: per(postgres),
    },
    apiserverRequests: Object.fromEntries(
      delta(apiserverByResource(from.apiserver), apiserverByResource(to.apiserver)),
    ),
    operatorCpuPercent: (100 * cpu) / seconds,
    operatorRssMiB: total(to.operator, 'process_resident_memory_bytes') / 2 ** 20,
    operatorHeapMiB: total(to.operator, 'nodejs_heap_size_used_bytes') / 2 ** 20,
  };
}

const perEvent = [...readyAt.values()].map((at) => (at - started) / 1000).sort((a, b) => a - b);
const at = (q: number) => perEvent[Math.min(perEvent.length - 1, Math.floor(q * perEvent.length))]!;
const result = {
  measuredAt: new Date().toISOString(),
  machine: { cores: cpus().length, loadAverage1m: loadavg()[0] },
  events: EVENTS,
  operator: {
    RECONCILE_CONCURRENCY: effective.RECONCILE_CONCURRENCY,
    RECONCILE_RATE_PER_SECOND: effective.RECONCILE_RATE_PER_SECOND,
    RECONCILE_BURST: effective.RECONCILE_BURST,
    RESYNC_SECONDS: effective.RESYNC_SECONDS,
  },
  createSeconds: (created - started) / 1000,
  /** Events Ready when the wait ended (all of them, unless OPERATOR_SCALE_TIMEOUT_SECONDS ran out). */
  readyCount,
  allReadySeconds: (allReady - started) / 1000,
  readySecondsPerEvent: { p50: at(0.5), p99: at(0.99) },
  allAppliedSeconds: last(appliedAt),
  allAvailableSeconds: last(availableAt),
  /** Polled every 2 s, so ±2 s. */
  readyAfterAvailableSeconds: {
    p50: reportLag[Math.floor(0.5 * reportLag.length)]!,
    p99: reportLag[Math.min(reportLag.length - 1, Math.floor(0.99 * reportLag.length))]!,
  },
  apply: costs(before, afterApply),
  idle: costs(idleStart, idleEnd),
};

const resultsDir = join(repoRoot, 'loadtest', 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, `${OUT}.json`), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(resultsDir, `${OUT}.md`), markdown(result));
console.log(markdown(result));

// Deleting the namespace runs every finalizer (the operator must still run), then the rest goes.
console.error('operator-scale: cleaning up');
await kubectl('delete', 'namespace', namespace, `--timeout=${READY_TIMEOUT_SECONDS}s`).catch((e: Error) =>
  console.error(`operator-scale: namespace deletion: ${e.message}`),
);
await operator.terminate();
await kubectl('delete', 'namespace', world.platformNamespace, '--wait=false');
await kubectl('delete', 'clusterrolebinding', world.identity.user);
for (const name of nodes) await core.deleteNode({ name }).catch(() => undefined);
await world.admin.disconnect();
await world.pool.end();
process.exit(0);

function markdown(r: typeof result): string {
  const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
  const ms = (s: number) => `${f(s * 1000, 0)} ms`;
  const rows = (
    title: string,
    byKey: Record<string, { count: number; perReconcile: number }>,
    idle: Record<string, { count: number; perReconcile: number }>,
  ) => {
    const keys = [...new Set([...Object.keys(byKey), ...Object.keys(idle)])];
    return keys.map(
      (k) =>
        `| ${title} | ${k} | ${byKey[k]?.count ?? 0} | ${f(byKey[k]?.perReconcile ?? 0, 2)} | ${idle[k]?.count ?? 0} | ${f(idle[k]?.perReconcile ?? 0, 2)} |`,
    );
  };
  const { apply, idle } = r;
  return [
    `## Operator at 1,000 events`,
    '',
    `${r.events} TicketEvents created at once (${CREATE_PARALLELISM} creates in flight) against the local control plane, one operator process with the shipped RBAC (` +
      `RECONCILE_CONCURRENCY=${r.operator.RECONCILE_CONCURRENCY}, RECONCILE_RATE_PER_SECOND=${r.operator.RECONCILE_RATE_PER_SECOND}, ` +
      `RECONCILE_BURST=${r.operator.RECONCILE_BURST}, RESYNC_SECONDS=${r.operator.RESYNC_SECONDS}), no allocator process: KWOK reports each ` +
      `allocator pod Ready without starting it, so Ready = partitions, shard rows, Deployment available, ScaledObject applied. ` +
      `${r.machine.cores} cores shared with other work (load ${f(r.machine.loadAverage1m ?? NaN)}); measured ${r.measuredAt} by \`npm run bench:operator\`.`,
    '',
    '| | value |',
    '| --- | --- |',
    `| created (all ${r.events}) | ${f(r.createSeconds)} s |`,
    `| **all Ready** (target ≤ 60 s) | **${r.readyCount === r.events ? `${f(r.allReadySeconds)} s` : `only ${r.readyCount} Ready after ${READY_TIMEOUT_SECONDS} s`}** |`,
    `| operator's first pass done for all (topic, shard rows, children applied, status written) | ${f(r.allAppliedSeconds)} s |`,
    `| all allocator Deployments available (kube-controller-manager, scheduler and KWOK, not the operator) | ${f(r.allAvailableSeconds)} s |`,
    `| from a Deployment available to its event Ready (the operator's reaction; polled, ±2 s), p50 / p99 | ${f(r.readyAfterAvailableSeconds.p50)} s / ${f(r.readyAfterAvailableSeconds.p99)} s |`,
    `| one event's time to Ready, p50 / p99 | ${f(r.readySecondsPerEvent.p50)} s / ${f(r.readySecondsPerEvent.p99)} s |`,
    `| reconciles until all Ready | ${apply.reconciles} (${f(apply.reconciles / r.events, 2)} per event, ${apply.retriedErrors} retried) |`,
    `| reconcile duration p50 / p99 (while applying) | ${ms(apply.reconcileSeconds.p50)} / ${ms(apply.reconcileSeconds.p99)} |`,
    `| reconcile duration p50 / p99 (idle resyncs) | ${ms(idle.reconcileSeconds.p50)} / ${ms(idle.reconcileSeconds.p99)} |`,
    `| steps while applying, p50 / p99 | ${Object.entries(apply.stepSeconds)
      .map(([step, q]) => `${step} ${ms(q.p50)} / ${ms(q.p99)}`)
      .join(', ')} |`,
    `| Kubernetes API requests per reconcile (applying / idle) | ${f(apply.kubeRequests.perReconcile, 2)} / ${f(idle.kubeRequests.perReconcile, 2)} |`,
    `| Kafka admin requests per reconcile (applying / idle) | ${f(apply.kafkaRequests.perReconcile, 2)} / ${f(idle.kafkaRequests.perReconcile, 2)} |`,
    `| PostgreSQL statements per reconcile (applying / idle) | ${f(apply.postgresStatements.perReconcile, 2)} / ${f(idle.postgresStatements.perReconcile, 2)} |`,
    `| operator CPU while applying | ${f(apply.operatorCpuPercent)} % of a core |`,
    `| operator CPU at ${r.events} idle events | ${f(idle.operatorCpuPercent)} % of a core (${f(idle.reconcilesPerSecond)} resyncs/s) |`,
    `| operator memory at ${r.events} idle events | ${f(idle.operatorRssMiB, 0)} MiB RSS, ${f(idle.operatorHeapMiB, 0)} MiB heap |`,
    '',
    `Requests by kind, counted by the operator (while applying: ${apply.reconciles} reconciles in ${f(apply.seconds)} s; idle: ${idle.reconciles} in ${f(idle.seconds)} s):`,
    '',
    '| system | request | applying | per reconcile | idle | per reconcile |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...rows('Kubernetes', apply.kubeRequests.byVerb, idle.kubeRequests.byVerb),
    ...rows('Kafka', apply.kafkaRequests.byApi, idle.kafkaRequests.byApi),
    ...rows('PostgreSQL', apply.postgresStatements.byKind, idle.postgresStatements.byKind),
    '',
    `The API server's own count (apiserver_request_total, every client: the operator, this script's creates and watch, the controller-manager's Deployment status updates, KWOK), while applying / idle:`,
    '',
    '| verb resource subresource | applying | idle |',
    '| --- | ---: | ---: |',
    ...[...new Set([...Object.keys(apply.apiserverRequests), ...Object.keys(idle.apiserverRequests)])]
      .sort()
      .map((k) => `| ${k.trim()} | ${apply.apiserverRequests[k] ?? 0} | ${idle.apiserverRequests[k] ?? 0} |`),
    '',
  ].join('\n');
}

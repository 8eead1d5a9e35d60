/**
 * The platform installed with `helm install` on the local control plane, end to end: KWOK
 * schedules the chart's pods, the local kubelet stand-in runs each one from its pod spec as a
 * podman container of the image built from this checkout, a TicketEvent applied with kubectl sells
 * tickets through the Ingress's backends, `helm upgrade` from the previous chart keeps the live
 * event Ready, and `helm uninstall` leaves orders, tickets and the CRD and nothing of the release.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AppsV1Api,
  CoordinationV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import pg from 'pg';
import {
  createNamespace,
  createTestDatabase,
  dependencies,
  eventually,
  grantKafkaAcls,
  kubeConfig,
  kubectl,
  uniqueName,
} from '@boxoffice/testkit';
import { dependencySettings } from '../harness/dependencies.ts';
import { installCrd } from '../../operator/test/fixtures.ts';
import { stateDir } from '../../scripts/deps/paths.ts';
import { buildImage } from '../../scripts/images/build.ts';
import { podman } from '../../scripts/images/containers.ts';
import { podmanRuntime } from '../../scripts/local/podman-runtime.ts';
import { localReleaseValues } from '../../scripts/local/release-values.ts';
import { startWorkloadRunner, type WorkloadRunner } from '../../scripts/local/workload-runner.ts';
import { chartDir, helm } from '../chart/helm.ts';
import type { Ingress } from '../chart/ingress-routing.ts';
import { kubectlWithInput } from '../chart/kube.ts';
import {
  backendUrl,
  buyTickets,
  getFromService,
  readyCondition,
  soldThroughIngress,
  throughout,
  token,
  viaIngress,
  type Installed,
} from './platform.ts';
import { extractPreviousChart, valuesKnownTo, type PreviousChart } from './previous-chart.ts';

const release = uniqueName('e2e');
const organizer = uniqueName('e2e-organizer');
const event = { namespace: organizer, name: 'concert', priceMinor: 4500, currency: 'EUR' };
const host = 'tickets.e2e.test';
const jwtSecret = 'e2e-jwt-secret-at-least-32-characters-long';
const webhookSecret = 'e2e-webhook-secret-0123456789';
const imageRepository = 'localhost/boxoffice';
// A tag of this run: other checkouts build localhost/boxoffice:dev into the same image store.
const imageTag = release;

const kube = kubeConfig();
const apps = kube.makeApiClient(AppsV1Api);
const runnerLog: string[] = [];
/** The runner's log and each container's, kept after the run (work holds the tokens and goes). */
const logDir = join(stateDir, 'logs', 'e2e', release);
let work: string;
let runner: WorkloadRunner;
let databaseUrl: string;
let previous: PreviousChart | undefined;
let installed: Installed;
let firstSale: { orderId: string; tickets: { code: string }[] };

const helmOk = async (...args: string[]): Promise<string> => {
  const result = await helm(...args, '--kubeconfig', dependencies().kubeconfig);
  if (result.code !== 0)
    throw new Error(`helm ${args[0]} failed:\n${result.stderr}\n--- runner ---\n${runnerTail()}`);
  return result.stdout;
};
const runnerTail = (): string => `${runnerLog.slice(-60).join('\n')}\n(all: ${logDir})`;

/**
 * The values of this release for `chart`: `npm start`'s local values, plus what makes it this
 * test's own, without what that chart does not know yet.
 */
function valuesFile(
  name: string,
  chart: string,
  overrides: { crdsInstall: boolean; logLevel: string },
): string {
  const values: Record<string, unknown> = {
    ...localReleaseValues({
      settings: dependencySettings(),
      databaseUrl,
      prefix: release,
      image: { repository: imageRepository, tag: imageTag, pullPolicy: 'Never' },
      jwtSecret,
      webhookSecret,
    }),
    // Names of its own: other suites apply the CRD and a ClusterRole named boxoffice-operator.
    fullnameOverride: release,
    crds: { install: overrides.crdsInstall },
    logLevel: overrides.logLevel,
    ingress: { enabled: true, hosts: [host] },
  };
  // Only the organizer's events: other suites' TicketEvents are theirs to reconcile.
  (values.operator as Record<string, unknown>).watchNamespace = organizer;
  const file = join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify(valuesKnownTo(chart, values), null, 2));
  return file;
}

async function readIngress(): Promise<Ingress> {
  return JSON.parse(await kubectl('get', 'ingress', '-n', release, release, '-o', 'json')) as Ingress;
}

/** The event's allocator pods, in the platform's namespace (the release's), labelled with their event. */
function allocatorPods() {
  return runner
    .pods()
    .filter(
      (pod) =>
        pod.labels['app.kubernetes.io/component'] === 'allocator' &&
        pod.namespace === release &&
        pod.labels['boxoffice.dev/event-namespace'] === organizer &&
        pod.labels['boxoffice.dev/event-name'] === event.name,
    );
}

/** The operator pod holding the Lease, once one does. */
async function leader(): Promise<string> {
  const lease = await kube
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ name: `${release}-operator`, namespace: release });
  const holder = lease.spec?.holderIdentity;
  const operators = runner.pods().filter((pod) => pod.labels['app.kubernetes.io/component'] === 'operator');
  expect(operators.map((pod) => pod.name)).toContain(holder);
  return holder!;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'boxoffice-e2e-'));
  mkdirSync(logDir, { recursive: true });
  const image = await buildImage({ reference: `${imageRepository}:${imageTag}` });
  console.log(`image ${image.reference} built in ${image.seconds.toFixed(1)} s`);
  previous = extractPreviousChart(join(work, 'previous'));

  databaseUrl = await createTestDatabase(release);
  await grantKafkaAcls(release);
  await createNamespace(release);
  await createNamespace(organizer);

  // The CRD is shared with the suites that apply it with kubectl: hand it to this release, so the
  // chart upgrades it and `helm uninstall` shows it is kept (helm.sh/resource-policy: keep).
  await installCrd();
  await kubectl(
    'label',
    'crd',
    'ticketevents.boxoffice.dev',
    'app.kubernetes.io/managed-by=Helm',
    '--overwrite',
  );
  await kubectl(
    'annotate',
    'crd',
    'ticketevents.boxoffice.dev',
    `meta.helm.sh/release-name=${release}`,
    `meta.helm.sh/release-namespace=${release}`,
    '--overwrite',
  );

  runner = await startWorkloadRunner({
    kubeconfig: dependencies().kubeconfig,
    runtime: podmanRuntime(),
    logDir,
    workDir: join(work, 'pods'),
    namespaces: [release, organizer],
    log: (line, level) => {
      const entry = `${new Date().toISOString()} ${level} ${line}`;
      runnerLog.push(entry);
      appendFileSync(join(logDir, 'runner.log'), `${entry}\n`);
    },
  });
}, 900_000);

afterAll(async () => {
  await helm('uninstall', release, '-n', release, '--wait', '--kubeconfig', dependencies().kubeconfig);
  // The operator is gone: nothing will run the event's finalizer.
  await kube
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObject(
      {
        group: 'boxoffice.dev',
        version: 'v1alpha1',
        plural: 'ticketevents',
        namespace: organizer,
        name: event.name,
        body: { metadata: { finalizers: null } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )
    .catch(() => undefined);
  await runner?.stop();
  await kubectl('delete', 'namespace', '--wait=false', '--ignore-not-found', release, organizer);
  await podman(['rmi', `${imageRepository}:${imageTag}`]).catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
}, 180_000);

describe('boxoffice installed with helm on the local control plane', () => {
  it('installs: KWOK schedules every pod, the runner runs each under podman, ready, and the operator leads', async () => {
    const chart = previous?.dir ?? chartDir;
    console.log(`installing ${previous ? `the previous chart, ${previous.describe}` : 'the current chart'}`);
    await helmOk(
      'install',
      release,
      chart,
      '-n',
      release,
      '-f',
      // The previous chart's CRD may be older than the one the other suites use: the current
      // chart takes the CRD over on upgrade.
      valuesFile('install', chart, { crdsInstall: previous === undefined, logLevel: 'info' }),
      '--wait',
      '--timeout=5m',
    );
    // Every pod of the release runs, and answers its readiness probe (KWOK alone would say so of
    // any scheduled pod at once: the runner's report is the one that counts).
    await eventually(
      () => {
        const pods = runner.pods().filter((pod) => pod.labels['app.kubernetes.io/instance'] === release);
        expect(
          pods.map((pod) => `${pod.labels['app.kubernetes.io/component']} ready=${pod.ready}`).sort(),
        ).toEqual([
          // A chart from before the analytics consumer has no pod of it.
          ...(existsSync(join(chart, 'templates', 'analytics.yaml')) ? ['analytics ready=true'] : []),
          'operator ready=true',
          'purchase-api ready=true',
          'query-api ready=true',
        ]);
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    await eventually(leader, { timeoutMs: 60_000, intervalMs: 500 });
  }, 360_000);

  it('turns a TicketEvent applied with kubectl into a Ready event with a running allocator, scaled by KEDA', async () => {
    const manifest = {
      apiVersion: 'boxoffice.dev/v1alpha1',
      kind: 'TicketEvent',
      metadata: { name: event.name, namespace: organizer },
      spec: {
        displayName: 'E2E Concert',
        venue: 'Hall E',
        startsAt: '2030-06-01T19:00:00Z',
        sales: { opensAt: '2020-01-01T00:00:00Z', closesAt: '2030-06-01T18:00:00Z', perBuyerLimit: 4 },
        ticketTypes: [{ name: 'standard', price: event.priceMinor, currency: event.currency, capacity: 100 }],
        shards: 2,
        allocator: { minReplicas: 1, maxReplicas: 2 },
      },
    };
    const applied = await kubectlWithInput(JSON.stringify(manifest), 'apply', '-f', '-');
    expect(applied).toMatchObject({ code: 0 });
    await eventually(
      async () => {
        expect(await readyCondition(kube, event)).toMatchObject({ status: 'True' });
        // KEDA (deps' local KEDA) runs the ScaledObject's trigger with the principal the chart put
        // into its TriggerAuthentication beside the allocators (keda.kafka.* of npm start's values).
        expect(await readyCondition(kube, event, 'ScalerReady')).toMatchObject({
          status: 'True',
          reason: 'ScaledObjectReady',
        });
        expect(allocatorPods().some((pod) => pod.ready)).toBe(true);
      },
      { timeoutMs: 180_000, intervalMs: 1_000 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- runner ---\n${runnerTail()}`);
    });
  }, 240_000);

  it('sells tickets through the backends the Ingress names', async () => {
    installed = {
      kubeConfig: kube,
      runner,
      namespace: release,
      ingress: await readIngress(),
      host,
      jwtSecret,
      webhookSecret,
    };
    firstSale = await buyTickets(installed, event, 'alice', 2);
    expect(await soldThroughIngress(installed, event)).toBe(2);
  }, 120_000);

  it('upgrades to this chart with the live event Ready and both APIs answering throughout', async () => {
    const operatorsBefore = runner
      .pods()
      .filter((pod) => pod.labels['app.kubernetes.io/component'] === 'operator');
    const authorization = `Bearer ${await token(installed, 'alice')}`;
    const { failures, rounds } = await throughout(
      () =>
        helmOk(
          'upgrade',
          release,
          chartDir,
          '-n',
          release,
          '-f',
          // A changed value too, so that every pod of the release rolls even where the chart did not change.
          valuesFile('upgrade', chartDir, { crdsInstall: true, logLevel: 'debug' }),
          '--wait',
          '--timeout=5m',
        ),
      {
        eventReady: async () => expect(await readyCondition(kube, event)).toMatchObject({ status: 'True' }),
        // Each pod of an API leaves only once its successor answers (a rolling update).
        purchaseApi: async () => {
          const response = await getFromService(
            installed,
            `${release}-purchase-api`,
            `/v1/orders/${firstSale.orderId}`,
            {
              authorization,
            },
          );
          expect(response.status).toBe(200);
        },
        queryApi: async () => {
          const response = await getFromService(
            installed,
            `${release}-query-api`,
            `/v1/events/${organizer}/${event.name}`,
          );
          expect(response.status).toBe(200);
        },
      },
    );
    expect(rounds).toBeGreaterThan(4);
    expect(failures).toEqual({ eventReady: [], purchaseApi: [], queryApi: [] });
    const operatorsAfter = runner
      .pods()
      .filter((pod) => pod.labels['app.kubernetes.io/component'] === 'operator');
    expect(operatorsAfter.map((pod) => pod.name)).not.toEqual(operatorsBefore.map((pod) => pod.name));
    await eventually(leader, { timeoutMs: 60_000, intervalMs: 500 });
    // The chart now owns the CRD.
    const crd = JSON.parse(await kubectl('get', 'crd', 'ticketevents.boxoffice.dev', '-o', 'json')) as {
      metadata: { annotations: Record<string, string> };
    };
    expect(crd.metadata.annotations).toMatchObject({
      'meta.helm.sh/release-name': release,
      'helm.sh/resource-policy': 'keep',
    });
  }, 360_000);

  it("adds the sale to the analytics projection: the release's consumer reads the order events as its own principal", async () => {
    await eventually(
      () =>
        expect(
          runner
            .pods()
            .filter((pod) => pod.labels['app.kubernetes.io/instance'] === release)
            .filter((pod) => pod.labels['app.kubernetes.io/component'] === 'analytics')
            .map((pod) => pod.ready),
        ).toEqual([true]),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    try {
      // The first sale's two tickets, read from the topic from its beginning (the group is new
      // when the installed chart had no analytics consumer).
      await eventually(
        async () => {
          const { rows } = await pool.query<{ sold: string }>(
            'SELECT coalesce(sum(tickets_sold), 0) AS sold FROM sales_by_minute WHERE namespace = $1 AND name = $2',
            [organizer, event.name],
          );
          expect(Number(rows[0]!.sold)).toBeGreaterThanOrEqual(2);
        },
        { timeoutMs: 90_000, intervalMs: 1_000 },
      );
    } finally {
      await pool.end();
    }
  }, 240_000);

  it('reads, sells and releases through the upgraded Ingress: one order’s path goes to purchase-api', async () => {
    installed.ingress = await readIngress();
    expect((await backendUrl(installed, `/v1/orders/${firstSale.orderId}`)).service).toBe(
      `${release}-purchase-api`,
    );
    expect((await backendUrl(installed, `/v1/orders/${firstSale.orderId}/tickets`)).service).toBe(
      `${release}-query-api`,
    );
    const authorization = `Bearer ${await token(installed, 'alice')}`;
    const before = await viaIngress(installed, `/v1/orders/${firstSale.orderId}`, {
      headers: { authorization },
    });
    expect(await before.json()).toMatchObject({ id: firstSale.orderId, status: 'CONFIRMED' });

    await buyTickets(installed, event, 'bob', 1);
    expect(await soldThroughIngress(installed, event)).toBe(3);

    // A hold released through the Ingress (DELETE shares its path with GET): its seats come back.
    const placed = await viaIngress(installed, `/v1/events/${event.namespace}/${event.name}/orders`, {
      method: 'POST',
      headers: { authorization, 'idempotency-key': uniqueName('hold'), 'content-type': 'application/json' },
      body: JSON.stringify({ ticketType: 'standard', quantity: 1 }),
    });
    expect([201, 202]).toContain(placed.status);
    const { id } = (await placed.json()) as { id: string };
    const order = async () =>
      (await (await viaIngress(installed, `/v1/orders/${id}`, { headers: { authorization } })).json()) as {
        status: string;
      };
    await eventually(async () => expect(await order()).toMatchObject({ status: 'HELD' }), {
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    const released = await viaIngress(installed, `/v1/orders/${id}`, {
      method: 'DELETE',
      headers: { authorization },
    });
    expect([200, 202]).toContain(released.status);
    await eventually(async () => expect(await order()).toMatchObject({ status: 'RELEASED' }), {
      timeoutMs: 30_000,
      intervalMs: 500,
    });
  }, 120_000);

  it('uninstalls without orphans, keeping the CRD, the event, its orders and tickets', async () => {
    await helmOk('uninstall', release, '-n', release, '--wait', '--timeout=3m');
    const ofRelease = `app.kubernetes.io/instance=${release}`;
    const left = async (): Promise<string[]> => {
      const names = await kubectl(
        'get',
        'deployments,replicasets,pods,services,serviceaccounts,secrets,configmaps,roles,rolebindings,ingresses,triggerauthentications.keda.sh',
        '-n',
        release,
        '-l',
        ofRelease,
        '-o',
        'name',
      );
      const cluster = await kubectl('get', 'clusterroles,clusterrolebindings', '-l', ofRelease, '-o', 'name');
      return `${names}${cluster}`.split('\n').filter(Boolean);
    };
    await eventually(async () => expect(await left()).toEqual([]), { timeoutMs: 60_000, intervalMs: 1_000 });
    // The runner stopped their containers; what still runs is the kept event's allocator only.
    await eventually(
      () =>
        expect(
          runner.pods().filter((pod) => pod.labels['app.kubernetes.io/component'] !== 'allocator'),
        ).toEqual([]),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // Each stops after its preStop hook (the chart's sleep), within its grace period; the kept
    // event's allocator runs on in the platform's (the release's) namespace.
    await eventually(
      async () => {
        const containers = (await podman(['ps', '--format', '{{.Names}}'])).split('\n');
        expect(
          containers.filter((name) => name.includes(`_${release}_`) && !name.startsWith('k8s_allocator_')),
        ).toEqual([]);
      },
      { timeoutMs: 90_000, intervalMs: 1_000 },
    );
    const deployments = await apps.listDeploymentForAllNamespaces({
      labelSelector: 'app.kubernetes.io/part-of=boxoffice',
    });
    const ours = deployments.items.filter((d) => [release, organizer].includes(d.metadata!.namespace!));
    expect(ours.map((d) => d.metadata!.labels!['app.kubernetes.io/component'])).toEqual(['allocator']);

    expect(await kubectl('get', 'crd', 'ticketevents.boxoffice.dev', '-o', 'name')).toContain('ticketevents');
    expect(await kubectl('get', 'tev', '-n', organizer, event.name, '-o', 'name')).toContain(event.name);
    const pool = new pg.Pool({ connectionString: databaseUrl });
    try {
      const orders = await pool.query<{ status: string; n: string }>(
        'SELECT status, count(*) AS n FROM orders GROUP BY status ORDER BY status',
      );
      expect(Object.fromEntries(orders.rows.map((row) => [row.status, Number(row.n)]))).toEqual({
        CONFIRMED: 2,
        RELEASED: 1,
      });
      const tickets = await pool.query<{ code: string }>('SELECT code FROM tickets WHERE order_id = $1', [
        firstSale.orderId,
      ]);
      expect(tickets.rows.map((row) => row.code).sort()).toEqual(firstSale.tickets.map((t) => t.code).sort());
    } finally {
      await pool.end();
    }
  }, 240_000);
});

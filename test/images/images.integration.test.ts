import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPool } from '@boxoffice/platform/postgres';
import { migrate, provisionEvent } from '@boxoffice/store';
import {
  createNamespace,
  createTestDatabase,
  dependencies,
  eventually,
  grantKafkaAcls,
  kafkaAs,
  kafkaEnv,
  kubectl,
  uniqueName,
} from '@boxoffice/testkit';
import { SERVICES, type ServiceName } from '../../images/services.ts';
import { installCrd } from '../../operator/test/fixtures.ts';
import { freePort } from '../../scripts/deps/processes.ts';
import { buildImage, type BuiltImage } from '../../scripts/images/build.ts';
import { podman, ULIMITS } from '../../scripts/images/containers.ts';
import { npmCaBundle } from '../../scripts/images/npm-secrets.ts';
import {
  containerLogs,
  containerState,
  removeContainer,
  runContainer,
  stopContainer,
} from '../../scripts/images/run.ts';
import { eventOnSale } from '../../services/store/test/fixtures.ts';

/**
 * The platform's image, built from the Dockerfile with buildah (no Docker daemon) and run under
 * podman the way the chart runs pods: each service starts against the real dependencies, answers
 * its probes, runs as a non-root UID on a read-only root filesystem without capabilities, and
 * exits 0 well within the grace period on SIGTERM.
 */

/** The shortest terminationGracePeriodSeconds a boxoffice pod gets is 30 s; this is stricter. */
const GRACE_SECONDS = 10;
/** Not the image's own user (1000): the chart or a cluster policy may pick any non-root UID. */
const RUN_AS = '10001:10001';

const containers: string[] = [];
const namespaces: string[] = [];
let image: BuiltImage;
let workDir: string;
let env: Record<string, string>;
let kubeconfig: string;
let event: { namespace: string; name: string };

beforeAll(async () => {
  // A cold build (base image made from Debian packages, npm ci) takes a few minutes; a cached
  // rebuild after a code change takes seconds.
  image = await buildImage();
  console.log(`image ${image.reference} built in ${image.seconds.toFixed(1)} s`);

  const deps = dependencies();
  const prefix = uniqueName('images');
  const databaseUrl = await createTestDatabase(prefix);
  await migrate(databaseUrl);
  event = { namespace: prefix, name: 'concert' };
  const pool = createPool(databaseUrl);
  await grantKafkaAcls(prefix);
  const admin = kafkaAs('operator', prefix).admin();
  await admin.connect();
  await provisionEvent({ pool, admin }, eventOnSale(event.namespace, { name: event.name, shards: 1 }));
  await admin.disconnect();
  await pool.end();

  await installCrd();
  // A kubeconfig the container's UID may read; its directory stays private to this user.
  workDir = mkdtempSync(join(tmpdir(), 'boxoffice-images-test-'));
  kubeconfig = join(workDir, 'kubeconfig');
  writeFileSync(kubeconfig, readFileSync(deps.kubeconfig), { mode: 0o644 });

  env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: deps.redisUrl,
    BOXOFFICE_PREFIX: prefix,
    JWT_SECRET: 'images-test-jwt-secret-not-for-production',
    WEBHOOK_SECRET: 'images-test-webhook-secret',
    OTEL_TRACES_EXPORTER: 'none',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
}, 900_000);

afterAll(async () => {
  for (const name of containers) await removeContainer(name);
  if (namespaces.length) await kubectl('delete', 'namespace', '--wait=false', ...namespaces);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function testNamespace(prefix: string): Promise<string> {
  namespaces.push(await createNamespace(uniqueName(prefix)));
  return namespaces.at(-1)!;
}

/** Each service's own settings: its port (host networking: a free one), and what it needs to start. */
async function serviceEnv(service: ServiceName, port: number): Promise<Record<string, string>> {
  switch (service) {
    case 'purchase-api':
      return { ...kafkaEnv('purchase-api'), PURCHASE_API_PORT: String(port) };
    case 'query-api':
      // query-api uses no Kafka, but its config shares the connection settings.
      return { KAFKA_BROKERS: dependencies().kafkaBrokers.join(','), QUERY_API_PORT: String(port) };
    case 'allocator':
      return {
        ...kafkaEnv('allocator'),
        PORT: String(port),
        EVENT_NAMESPACE: event.namespace,
        EVENT_NAME: event.name,
      };
    case 'analytics':
      // Ready once it has joined its group on the order-events topic, which the operator's run
      // (before this one) created; without it, it would wait for it.
      return { ...kafkaEnv('analytics'), PORT: String(port) };
    case 'operator':
      return {
        ...kafkaEnv('operator'),
        ...allocatorPrincipal(),
        PORT: String(port),
        KUBECONFIG: '/etc/boxoffice/kubeconfig',
        // Its own namespaces: it must not reconcile the TicketEvents of other suites.
        WATCH_NAMESPACE: await testNamespace('images-watch'),
        LEASE_NAMESPACE: await testNamespace('images-lease'),
        ALLOCATOR_SECRET_ENV: '{"DATABASE_URL":"boxoffice","REDIS_URL":"boxoffice"}',
        POD_NAME: uniqueName('operator'),
      };
  }
}

/** The allocator pods' principal, as the operator hands it on: a Secret's name (the test never runs the pods). */
function allocatorPrincipal(): Record<string, string> {
  const { KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD } = kafkaEnv('allocator');
  return KAFKA_SASL_USERNAME && KAFKA_SASL_PASSWORD ? { ALLOCATOR_KAFKA_SECRET: 'boxoffice' } : {};
}

async function start(service: ServiceName, extraEnv: Record<string, string> = {}): Promise<string> {
  const name = uniqueName(`boxoffice-${service}`);
  containers.push(name);
  await runContainer({
    image: image.reference,
    service,
    name,
    env: { ...env, ...extraEnv },
    files: { '/etc/boxoffice/kubeconfig': kubeconfig },
    user: RUN_AS,
  });
  return name;
}

async function get(port: number, path: string): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}${path}`)).status;
}

/**
 * Beyond readiness, where readiness does not cover a dependency: the operator's /readyz checks
 * only PostgreSQL, so it must also show it reached the API server (it holds the Lease).
 */
const atWork: Partial<Record<ServiceName, (port: number) => Promise<void>>> = {
  operator: (port) =>
    eventually(
      async () => {
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        expect(metrics).toMatch(/^boxoffice_operator_leader\{[^}]*\} 1$/m);
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    ),
};

/** Fails at once with the container's logs when it exited instead of getting ready. */
async function untilReady(name: string, port: number): Promise<void> {
  await eventually(
    async () => {
      const state = await containerState(name);
      if (!state.running)
        throw new Error(`${name} exited (${state.exitCode}):\n${await containerLogs(name)}`);
      expect(await get(port, '/readyz')).toBe(200);
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  ).catch(async (error: Error) => {
    throw new Error(`${error.message}\n--- ${name} logs ---\n${await containerLogs(name)}`);
  });
}

/** The service's process (PID 1 in the container) as the kernel sees it. */
async function processStatus(name: string): Promise<Record<string, string>> {
  const status = await podman(['exec', name, 'cat', '/proc/1/status']);
  return Object.fromEntries(
    status
      .trim()
      .split('\n')
      .map((line) => line.split(/:\s*/, 2) as [string, string]),
  );
}

describe('the boxoffice image', () => {
  it('is configured for the chart: numeric non-root user, no HEALTHCHECK, OCI labels, allocator by default', async () => {
    const [inspected] = JSON.parse(await podman(['image', 'inspect', image.reference])) as [
      {
        Config: { User: string; Entrypoint: string[]; Cmd: string[]; Labels: Record<string, string> };
        Healthcheck?: unknown;
      },
    ];
    expect(inspected.Config.User).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(inspected.Healthcheck).toBeUndefined();
    expect(inspected.Config.Entrypoint).toEqual(['node', 'images/entrypoint.ts']);
    expect(inspected.Config.Cmd).toEqual(['allocator']);
    const labels = inspected.Config.Labels;
    expect(labels['org.opencontainers.image.source']).toMatch(/^https:\/\//);
    expect(labels['org.opencontainers.image.version']).toBeTruthy();
    expect(labels['org.opencontainers.image.revision']).toMatch(/^[0-9a-f]{40}$/);
  });

  it("keeps the build's secrets out of every layer: no mounted secret, no copy of the CA bundle", async () => {
    const ca = npmCaBundle(); // what the build mounted as the npmca secret
    expect(ca).toBeDefined();
    const bundle = readFileSync(ca!);
    const digest = createHash('sha256').update(bundle).digest('hex');
    const found = await podman([
      'run',
      '--rm',
      '--network=none',
      '--user=0:0',
      ...ULIMITS.map((limit) => `--ulimit=${limit}`),
      '--entrypoint=sh',
      image.reference,
      '-c',
      `ls -d /run/secrets /tmp/npm-cache 2>/dev/null; find / -xdev -type f -size ${bundle.length}c -exec sha256sum {} + | grep ${digest} || true`,
    ]);
    expect(found.trim()).toBe('');
  });

  it.each(Object.keys(SERVICES) as ServiceName[])(
    '%s starts against the real dependencies, answers its probes, runs locked down, and stops cleanly on SIGTERM',
    async (service) => {
      const port = await freePort();
      const name = await start(service, await serviceEnv(service, port));
      await untilReady(name, port);
      expect(await get(port, '/healthz')).toBe(200);
      await atWork[service]?.(port);

      const status = await processStatus(name);
      expect(status.Uid).toBe('10001\t10001\t10001\t10001');
      expect(status.NoNewPrivs).toBe('1');
      expect(status.CapEff).toBe('0000000000000000');
      // The root filesystem is read-only; /tmp (the chart's emptyDir) is the only writable place.
      await expect(podman(['exec', name, 'touch', '/app/written'])).rejects.toThrow(/Read-only file system/);
      await podman(['exec', name, 'touch', '/tmp/written']);

      const stopped = await stopContainer(name, GRACE_SECONDS);
      expect(stopped).toEqual({ exitCode: 0, seconds: expect.any(Number) });
      expect(stopped.seconds).toBeLessThan(GRACE_SECONDS);
    },
    180_000,
  );

  it('stops at once on SIGTERM while a service is still starting (node is PID 1)', async () => {
    // A "database" that accepts connections and never answers: purchase-api waits in its
    // migrations, before it has installed its own shutdown handler.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port: silentPort } = silent.address() as { port: number };
    try {
      const port = await freePort();
      const name = await start('purchase-api', {
        ...kafkaEnv('purchase-api'),
        PURCHASE_API_PORT: String(port),
        DATABASE_URL: `postgres://boxoffice@127.0.0.1:${silentPort}/boxoffice`,
      });
      await eventually(() => expect(sockets.length).toBeGreaterThan(0), { timeoutMs: 60_000 });
      const stopped = await stopContainer(name, GRACE_SECONDS);
      expect(stopped.exitCode).toBe(143); // ended by SIGTERM, not by the SIGKILL after the grace period
      expect(stopped.seconds).toBeLessThan(GRACE_SECONDS);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  }, 120_000);
});

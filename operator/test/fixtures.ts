import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '@boxoffice/platform/logger';
import { createPool } from '@boxoffice/platform/postgres';
import { migrate } from '@boxoffice/store';
import {
  createNamespace,
  createTestDatabase,
  dependencies,
  kubeConfig,
  kubeConfigAs,
  kafkaAs,
  kafkaEnv,
  kubectl,
  uniqueName,
} from '@boxoffice/testkit';
import { AppsV1Api, CustomObjectsApi, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { dependencySettings } from '../../test/harness/dependencies.ts';
import { kedaKafkaPrincipal } from '../../scripts/deps/keda-kafka.ts';
import {
  KEDA_TRIGGER_AUTHENTICATION,
  kafkaTriggerAuthentication,
} from '../../scripts/deps/keda-manifests.ts';
import { operatorConfig, type OperatorConfig } from '../src/config.ts';
import { startController, type Controller } from '../src/controller.ts';
import { ensureSharedTopics } from '../src/shared-topics.ts';
import { allocatorName } from '../src/desired/index.ts';
import { GROUP, PLURAL, VERSION, type TicketEvent } from '../src/ticket-event.ts';

/** A TicketEvent manifest on sale now, as a user would write it. */
export function ticketEvent(
  namespace: string,
  name: string,
  spec: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Date.now();
  return {
    apiVersion: 'boxoffice.dev/v1alpha1',
    kind: 'TicketEvent',
    metadata: { name, namespace },
    spec: {
      displayName: 'Operator Test',
      venue: 'Hall',
      startsAt: new Date(now + 30 * 86_400_000).toISOString(),
      sales: {
        opensAt: new Date(now - 3_600_000).toISOString(),
        closesAt: new Date(now + 86_400_000).toISOString(),
        perBuyerLimit: 4,
        holdTtl: '10m',
      },
      ticketTypes: [{ name: 'standard', price: 1000, currency: 'EUR', capacity: 100 }],
      shards: 3,
      allocator: { minReplicas: 1, maxReplicas: 3, lagThreshold: 50 },
      ...spec,
    },
  };
}

/** `kubectl apply -f -` as a user would; rejects with kubectl's stderr (admission messages). */
export function applyManifest(manifest: Record<string, unknown>): string {
  const { kubectl: bin, kubeconfig } = dependencies();
  const result = spawnSync(bin, [`--kubeconfig=${kubeconfig}`, 'apply', '-f', '-'], {
    input: JSON.stringify(manifest),
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout;
}

export async function readEvent(namespace: string, name: string): Promise<TicketEvent> {
  return (await kubeConfig().makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace,
    name,
  })) as TicketEvent;
}

export async function installCrd(): Promise<void> {
  // The checkout's CRD is the truth for this run, whoever applied an older one before.
  await kubectl(
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=boxoffice-test',
    '-f',
    'operator/crd/',
  );
  await kubectl('wait', '--for=condition=Established', 'crd/ticketevents.boxoffice.dev');
}

/**
 * An identity bound to exactly the operator's shipped RBAC: its ClusterRole through a
 * ClusterRoleBinding, the leader-election and allocator Roles in its own (the platform's) namespace.
 * The bindings live outside the watched namespace, as they would in a cluster: deleting a namespace
 * must not take the operator's rights away before its finalizers ran. Returns its kubeconfig (and a
 * file of it, for operator processes). `allocatorRole` replaces the allocator Role (a test of what
 * happens with fewer rights).
 */
export async function operatorIdentity(
  platformNamespace: string,
  options: { allocatorRole?: string } = {},
): Promise<{ user: string; kubeConfig: KubeConfig; file: string }> {
  const user = uniqueName('boxoffice-operator');
  await kubectl(
    'apply',
    '--server-side',
    '--field-manager=boxoffice-test',
    '-f',
    'operator/rbac/clusterrole.yaml',
  );
  await kubectl('create', 'clusterrolebinding', user, '--clusterrole=boxoffice-operator', `--user=${user}`);
  const allocatorRole = options.allocatorRole ?? 'boxoffice-operator-allocators';
  if (!options.allocatorRole)
    await kubectl('apply', '-n', platformNamespace, '-f', 'operator/rbac/allocators-role.yaml');
  await kubectl('apply', '-n', platformNamespace, '-f', 'operator/rbac/leader-election-role.yaml');
  for (const role of ['boxoffice-operator-leader-election', allocatorRole])
    await kubectl(
      'create',
      'rolebinding',
      '-n',
      platformNamespace,
      `${user}-${role}`,
      `--role=${role}`,
      `--user=${user}`,
    );
  const config = kubeConfigAs(user);
  const file = join(tmpdir(), `${user}.kubeconfig`);
  writeFileSync(file, config.exportConfig(), { mode: 0o600 });
  return { user, kubeConfig: config, file };
}

/** The Secret allocators read their credentials from, in the platform's namespace (as the chart's). */
export const ALLOCATOR_SECRET = 'boxoffice-allocator';

/** The allocator pods' own Kafka principal, for their Secret (none on a broker without authentication). */
function allocatorKafkaPrincipal(): Record<string, string> {
  const { KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD } = kafkaEnv('allocator');
  return KAFKA_SASL_USERNAME && KAFKA_SASL_PASSWORD ? { KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD } : {};
}

/**
 * One suite's world: its organizer namespace, database, Kafka admin, its platform namespace (the
 * operator's own: Lease, allocators and their Secret), and an operator watching the organizer's.
 */
export class OperatorWorld {
  namespace!: string;
  /** The operator's own namespace, never a watched one: its Lease, every allocator, their Secret. */
  platformNamespace!: string;
  databaseUrl!: string;
  pool!: pg.Pool;
  admin!: Admin;
  identity!: { user: string; kubeConfig: KubeConfig; file: string };
  controller?: Controller;
  readonly logger: Logger = createLogger('operator-test', process.env.TEST_LOG_LEVEL ?? 'warn');

  async start(
    prefix: string,
    options: { operator?: boolean; env?: Record<string, string> } = {},
  ): Promise<this> {
    await installCrd();
    this.namespace = await createNamespace(uniqueName(prefix));
    this.databaseUrl = await createTestDatabase(uniqueName(prefix));
    await migrate(this.databaseUrl);
    this.pool = createPool(this.databaseUrl);
    // The operator's own principal: provisioning must need no more than its ACLs grant.
    this.admin = kafkaAs('operator', prefix).admin();
    await this.admin.connect();
    this.platformNamespace = await createNamespace(uniqueName(`${prefix}-platform`));
    await kubectl(
      'create',
      'secret',
      'generic',
      ALLOCATOR_SECRET,
      '-n',
      this.platformNamespace,
      `--from-literal=DATABASE_URL=${this.databaseUrl}`,
      `--from-literal=REDIS_URL=${dependencies().redisUrl}`,
      ...Object.entries(allocatorKafkaPrincipal()).map(([key, value]) => `--from-literal=${key}=${value}`),
    );
    // KEDA's Kafka principal for the ScaledObjects, where the chart puts it: the platform namespace.
    const keda = kedaKafkaPrincipal(dependencySettings());
    if (keda)
      applyManifest({
        apiVersion: 'v1',
        kind: 'List',
        items: kafkaTriggerAuthentication(this.platformNamespace, keda),
      });
    this.identity = await operatorIdentity(this.platformNamespace);
    // What main.ts does before its controller starts: the allocators this world runs produce to them.
    await ensureSharedTopics(this.admin, this.config(options.env).BOXOFFICE_PREFIX);
    if (options.operator ?? true) {
      this.controller = await startController({
        kubeConfig: this.identity.kubeConfig,
        provision: { pool: this.pool, admin: this.admin },
        config: this.config(options.env),
        logger: this.logger,
      });
    }
    return this;
  }

  /** The operator's environment for this suite. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    const settings = dependencies();
    return {
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: settings.redisUrl,
      ...kafkaEnv('operator'),
      ...(allocatorKafkaPrincipal().KAFKA_SASL_USERNAME ? { ALLOCATOR_KAFKA_SECRET: ALLOCATOR_SECRET } : {}),
      // KEDA's scaler logs in to Kafka as its own principal (the local KEDA's, from deps), through the
      // TriggerAuthentication beside the ScaledObjects.
      ...(kedaKafkaPrincipal(dependencySettings())
        ? { KEDA_KAFKA_TRIGGER_AUTHENTICATION: KEDA_TRIGGER_AUTHENTICATION }
        : {}),
      WATCH_NAMESPACE: this.namespace,
      // ALLOCATOR_NAMESPACE is left to its default: the operator's own (the Lease's) namespace.
      LEASE_NAMESPACE: this.platformNamespace,
      ALLOCATOR_SECRET_ENV: JSON.stringify({ DATABASE_URL: ALLOCATOR_SECRET, REDIS_URL: ALLOCATOR_SECRET }),
      RESYNC_SECONDS: '2',
      ...extra,
    };
  }

  config(extra: Record<string, string> = {}): OperatorConfig {
    return operatorConfig.parse(this.env(extra));
  }

  /** The allocator Deployment of one of this world's events, where it runs: the platform namespace. */
  async allocator(name: string): Promise<V1Deployment> {
    return kubeConfig()
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({
        name: allocatorName({ namespace: this.namespace, name }),
        namespace: this.platformNamespace,
      });
  }

  /** The allocator Deployments and ScaledObjects of one of this world's events (by their labels). */
  async children(name: string): Promise<string[]> {
    const selector = `boxoffice.dev/event-namespace=${this.namespace},boxoffice.dev/event-name=${name}`;
    const out = await kubectl(
      'get',
      'deployments,scaledobjects',
      '-n',
      this.platformNamespace,
      '-l',
      selector,
      '-o',
      'name',
    );
    return out.split('\n').filter(Boolean);
  }

  /**
   * Deleting the namespace with the operator still running must complete: each finalizer stops its
   * sale and lets go (a namespace full of TicketEvents never hangs).
   */
  async stop(): Promise<void> {
    if (this.namespace) await kubectl('delete', 'namespace', this.namespace, '--timeout=90s');
    await this.controller?.stop();
    if (this.platformNamespace) await kubectl('delete', 'namespace', this.platformNamespace, '--wait=false');
    if (this.identity) await kubectl('delete', 'clusterrolebinding', this.identity.user);
    await this.admin?.disconnect();
    await this.pool?.end();
  }
}

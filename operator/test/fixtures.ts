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
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { operatorConfig, type OperatorConfig } from '../src/config.ts';
import { startController, type Controller } from '../src/controller.ts';
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
 * ClusterRoleBinding, and the leader-election Role in the lease namespace. Both bindings live
 * outside the watched namespace, as they would in a cluster: deleting a namespace must not take the
 * operator's rights away before its finalizers ran. Returns its kubeconfig (and a file of it, for
 * operator processes).
 */
export async function operatorIdentity(
  leaseNamespace: string,
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
  await kubectl('apply', '-n', leaseNamespace, '-f', 'operator/rbac/leader-election-role.yaml');
  await kubectl(
    'create',
    'rolebinding',
    '-n',
    leaseNamespace,
    user,
    '--role=boxoffice-operator-leader-election',
    `--user=${user}`,
  );
  const config = kubeConfigAs(user);
  const file = join(tmpdir(), `${user}.kubeconfig`);
  writeFileSync(file, config.exportConfig(), { mode: 0o600 });
  return { user, kubeConfig: config, file };
}

/** The allocator pods' principal, as plain env (the local way; a cluster uses ALLOCATOR_KAFKA_SECRET). */
function allocatorKafkaPrincipal(): Record<string, string> {
  const allocator = kafkaEnv('allocator');
  if (!allocator.KAFKA_SASL_USERNAME || !allocator.KAFKA_SASL_PASSWORD) return {};
  return {
    ALLOCATOR_KAFKA_SASL_USERNAME: allocator.KAFKA_SASL_USERNAME,
    ALLOCATOR_KAFKA_SASL_PASSWORD: allocator.KAFKA_SASL_PASSWORD,
  };
}

/** One suite's world: its namespace, database, Kafka admin, and an operator watching that namespace. */
export class OperatorWorld {
  namespace!: string;
  /** Where the operator's Lease lives: its own namespace, not a watched one. */
  leaseNamespace!: string;
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
    this.leaseNamespace = await createNamespace(uniqueName(`${prefix}-lease`));
    this.identity = await operatorIdentity(this.leaseNamespace);
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
      ...allocatorKafkaPrincipal(),
      // KEDA's scaler logs in to Kafka as its own principal (the local KEDA's, from deps).
      ...(settings.kedaTriggerAuthentication
        ? { KEDA_KAFKA_TRIGGER_AUTHENTICATION: settings.kedaTriggerAuthentication }
        : {}),
      WATCH_NAMESPACE: this.namespace,
      LEASE_NAMESPACE: this.leaseNamespace,
      RESYNC_SECONDS: '2',
      ...extra,
    };
  }

  config(extra: Record<string, string> = {}): OperatorConfig {
    return operatorConfig.parse(this.env(extra));
  }

  /**
   * Deleting the namespace with the operator still running must complete: each finalizer stops its
   * sale and lets go (a namespace full of TicketEvents never hangs).
   */
  async stop(): Promise<void> {
    if (this.namespace) await kubectl('delete', 'namespace', this.namespace, '--timeout=90s');
    await this.controller?.stop();
    if (this.leaseNamespace) await kubectl('delete', 'namespace', this.leaseNamespace, '--wait=false');
    if (this.identity) await kubectl('delete', 'clusterrolebinding', this.identity.user);
    await this.admin?.disconnect();
    await this.pool?.end();
  }
}

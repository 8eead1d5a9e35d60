import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newOrderId } from '@boxoffice/inventory';
import { applyShardBatch, eventTopic, findOrder, invariantViolations } from '@boxoffice/store';
import { dependencies, eventually, kubectl } from '@boxoffice/testkit';
import { ApiException } from '@kubernetes/client-node';
import { applyManifest, OperatorWorld, readEvent, ticketEvent } from './fixtures.ts';
import { OperatorProcess } from './operator-process.ts';
import { WatchGapProxy } from './watch-gap-proxy.ts';

const LEASE_SECONDS = 4;
const CONVERGE_MS = 120_000;

/**
 * The operator's three faults from the fault matrix (docs/reliability.md), against real operator
 * processes, kube-apiserver, Kafka and PostgreSQL. Each ends with the audit of everything the
 * operator owns, and logs how long convergence took after the fault ended.
 */
describe('operator faults (real processes, kube-apiserver, etcd, Kafka, PostgreSQL)', () => {
  const world = new OperatorWorld();
  const replicas: OperatorProcess[] = [];
  let gapProxy: WatchGapProxy | undefined;
  const replica = (identity: string, env: Record<string, string> = {}): Promise<OperatorProcess> => {
    const process = new OperatorProcess(`${world.namespace}-${identity}`);
    replicas.push(process);
    return process.start({
      ...world.env({ LEASE_DURATION_SECONDS: String(LEASE_SECONDS), LEASE_RENEW_INTERVAL_MS: '500' }),
      KUBECONFIG: world.identity.file,
      LOG_LEVEL: 'info',
      ...env,
    });
  };
  const running = () => replicas.filter((r) => r.running);
  const leaders = async (): Promise<OperatorProcess[]> => {
    const leading = await Promise.all(running().map((r) => r.leading()));
    return running().filter((_, i) => leading[i]);
  };
  const ready = (name: string) =>
    kubectl('wait', '--for=condition=Ready', '--timeout=90s', '-n', world.namespace, `tev/${name}`);
  /** The events that exist (and what they should be); deleted ones must have left nothing behind. */
  const live = new Map<string, Record<string, unknown>>();
  const deleted = new Set<string>();
  const apply = (name: string, spec: Record<string, unknown> = {}) => {
    const manifest = ticketEvent(world.namespace, name, spec);
    live.set(name, manifest);
    applyManifest(manifest);
  };
  const measured: Record<string, number> = {};

  /** Everything the operator owns, against what each TicketEvent's spec says. */
  async function audit(): Promise<void> {
    for (const name of live.keys()) {
      const event = await readEvent(world.namespace, name);
      const spec = event.spec;
      expect({ name, deleting: event.metadata.deletionTimestamp }).toEqual({ name, deleting: undefined });
      expect({ name, observed: event.status?.observedGeneration }).toEqual({
        name,
        observed: event.metadata.generation,
      });
      const readyCondition = event.status?.conditions?.find((c) => c.type === 'Ready');
      expect({ name, ready: readyCondition?.status }).toEqual({ name, ready: 'True' });
      // Inventory: every listed ticket type has spec.shards rows whose capacities add up to spec.
      const { rows } = await world.pool.query<{ ticket_type: string; shards: number; capacity: number }>(
        `SELECT s.ticket_type, count(*)::int AS shards, sum(s.capacity)::int AS capacity
         FROM inventory_shards s JOIN events e ON e.id = s.event_id
         JOIN ticket_types t ON t.event_id = s.event_id AND t.name = s.ticket_type
         WHERE e.namespace = $1 AND e.name = $2 AND t.retired_at IS NULL
         GROUP BY s.ticket_type ORDER BY s.ticket_type`,
        [world.namespace, name],
      );
      expect({ name, inventory: rows }).toEqual({
        name,
        inventory: spec.ticketTypes
          .map((t) => ({ ticket_type: t.name, shards: spec.shards, capacity: t.capacity }))
          .sort((a, b) => a.ticket_type.localeCompare(b.ticket_type)),
      });
      const topic = await world.admin.fetchTopicMetadata({
        topics: [eventTopic({ namespace: world.namespace, name })],
      });
      expect({ name, partitions: topic.topics[0]!.partitions.length }).toEqual({
        name,
        partitions: spec.shards,
      });
      const deployment = await world.allocator(name);
      expect({ name, deploymentDeleting: deployment.metadata?.deletionTimestamp }).toEqual({
        name,
        deploymentDeleting: undefined,
      });
      const scaled = JSON.parse(
        await kubectl(
          'get',
          'scaledobject',
          '-n',
          world.platformNamespace,
          deployment.metadata!.name!,
          '-o',
          'json',
        ),
      ) as { spec: { minReplicaCount: number; maxReplicaCount: number; scaleTargetRef: { name: string } } };
      expect({ name, scaler: scaled.spec }).toMatchObject({
        name,
        scaler: {
          minReplicaCount: spec.allocator.minReplicas,
          maxReplicaCount: spec.allocator.maxReplicas,
          scaleTargetRef: { name: deployment.metadata!.name },
        },
      });
    }
    for (const name of deleted) {
      const gone = await readEvent(world.namespace, name).then(
        () => false,
        (error: unknown) => error instanceof ApiException && error.code === 404,
      );
      expect({ name, gone }).toEqual({ name, gone: true });
      expect({ name, children: await world.children(name) }).toEqual({ name, children: [] });
    }
    expect(await invariantViolations(world.pool)).toEqual([]);
  }

  /** Waits for the audit to pass; returns the milliseconds it took. */
  async function converged(since: number): Promise<number> {
    await eventually(audit, { timeoutMs: CONVERGE_MS, intervalMs: 250 });
    return Date.now() - since;
  }

  const purchase = (buyerId: string, quantity: number) => ({
    v: 1 as const,
    kind: 'purchase.requested' as const,
    orderId: newOrderId(),
    buyerId,
    ticketType: 'standard',
    quantity,
    idempotencyKey: newOrderId(),
    requestedAt: new Date().toISOString(),
  });

  beforeAll(async () => {
    await world.start('opfaults', { operator: false });
  });
  afterAll(async () => {
    console.log(`operator faults (converge times in ms): ${JSON.stringify(measured)}`);
    // The namespace goes while an operator still runs (its finalizers must let go); the proxy
    // stays until then, as the last operator may reach the API server through it.
    if (running().length === 0) await replica('cleanup');
    await world.stop();
    await Promise.all(running().map((r) => r.terminate()));
    await gapProxy?.stop();
  });

  it('the leader killed (-9) mid-reconcile: a replica takes over and converges; the allocator path answers throughout', async () => {
    await replica('a');
    await replica('b');
    await eventually(async () => expect(await leaders()).toHaveLength(1), { timeoutMs: 30_000 });
    apply('sale', { shards: 4, allocator: { minReplicas: 1, maxReplicas: 4, lagThreshold: 50 } });
    await ready('sale');

    // Buyers' purchases go through the allocator's path (a shard batch into PostgreSQL), which
    // never waits for the operator: they keep getting answers while it has no leader.
    const key = { namespace: world.namespace, name: 'sale' };
    let answered = 0;
    const failures: string[] = [];
    let buying = true;
    const buyers = (async () => {
      for (let i = 0; buying; i++) {
        await applyShardBatch(world.pool, key, i % 4, [purchase(`buyer-${i}`, 1)], new Date()).then(
          () => answered++,
          (error: unknown) => failures.push(String(error)),
        );
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    // A burst of work, and the kill inside it: topics, rows or children half done.
    for (let i = 1; i <= 3; i++) apply(`burst-${i}`, { shards: 8 });
    apply('sale', {
      shards: 6,
      allocator: { minReplicas: 2, maxReplicas: 5, lagThreshold: 50 },
      ticketTypes: [{ name: 'standard', price: 1000, currency: 'EUR', capacity: 600 }],
    });
    await new Promise((r) => setTimeout(r, 150));
    const [leader] = await leaders();
    await leader!.kill();
    const killed = Date.now();
    const answeredAtKill = answered;
    measured.leaderKill = await converged(killed);
    buying = false;
    await buyers;
    measured.purchasesAnswered = answered;
    measured.purchasesAnsweredUntilConverged = answered - answeredAtKill;
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(answeredAtKill);
  });

  it('a TicketEvent deleted while no operator runs is finalized when one comes back; its orders are kept; edits and creations made meanwhile are applied', async () => {
    apply('doomed');
    await ready('doomed');
    const key = { namespace: world.namespace, name: 'doomed' };
    const order = purchase('keeper', 2);
    await applyShardBatch(world.pool, key, 0, [order], new Date());
    for (const r of running()) await r.kill();

    await kubectl('delete', 'tev', '-n', world.namespace, 'doomed', '--wait=false');
    live.delete('doomed');
    deleted.add('doomed');
    apply('burst-1', {
      shards: 8,
      ticketTypes: [
        { name: 'standard', price: 1000, currency: 'EUR', capacity: 100 },
        { name: 'vip', price: 5000, currency: 'EUR', capacity: 40 },
      ],
    });
    apply('late');
    // Nobody ran its finalizer: the event waits, its allocator still there.
    const waiting = await readEvent(world.namespace, 'doomed');
    expect(waiting.metadata.deletionTimestamp).toBeDefined();
    expect(await world.children('doomed')).toHaveLength(2);

    const restarted = Date.now();
    await replica('c');
    measured.deletedWhileDown = await converged(restarted);
    // The deletion policy (Retain by default): sales stopped, orders and the topic kept.
    expect(await findOrder(world.pool, order.orderId)).toMatchObject({ id: order.orderId, quantity: 2 });
    const topic = await world.admin.fetchTopicMetadata({ topics: [eventTopic(key)] });
    expect(topic.topics[0]!.partitions).toHaveLength(3);
  });

  it('a watch gap longer than the watch window (resourceVersion compacted, 410 Gone): the informer relists and every change made in the gap is applied', async () => {
    for (const r of running()) await r.terminate();
    const proxy = new WatchGapProxy(world.identity.kubeConfig);
    gapProxy = proxy;
    const kubeconfig = await proxy.start(`${world.namespace}-proxy`);
    // A long resync: only the watch (and its relist) can tell this operator about the changes.
    const operator = await replica('w', { KUBECONFIG: kubeconfig, RESYNC_SECONDS: '600' });
    // Preconditions, not measurements: on a loaded machine a new leader's informers can take a while
    // to list and open their watches, so these wait as long as convergence may.
    await eventually(async () => expect(await operator.leading()).toBe(true), { timeoutMs: CONVERGE_MS });
    await eventually(async () => expect(proxy.watches).toBeGreaterThanOrEqual(2), {
      timeoutMs: CONVERGE_MS,
    });
    await converged(Date.now());

    proxy.beginGap();
    apply('sale', {
      shards: 8,
      allocator: { minReplicas: 1, maxReplicas: 8, lagThreshold: 50 },
      ticketTypes: [{ name: 'standard', price: 1000, currency: 'EUR', capacity: 900 }],
    });
    apply('gap-born', { shards: 2, allocator: { minReplicas: 1, maxReplicas: 2, lagThreshold: 50 } });
    await kubectl('delete', 'tev', '-n', world.namespace, 'late', '--wait=false');
    live.delete('late');
    deleted.add('late');
    // An allocator deleted by hand in the gap must come back.
    await kubectl(
      'delete',
      'deployment',
      '-n',
      world.platformNamespace,
      (await world.allocator('burst-2')).metadata!.name!,
    );
    await compactEtcd();

    const resumed = Date.now();
    proxy.endGap();
    measured.watchGap = await converged(resumed);
    // The fault really was the one named: the resumed watch was told its resourceVersion is gone.
    expect(proxy.gone).toBeGreaterThanOrEqual(1);
    expect(readFileSync(operator.log, 'utf8')).not.toMatch(/"level":(50|60)/);
  });
});

/** Compacts etcd to its current revision: every resourceVersion before now is out of the window. */
async function compactEtcd(): Promise<void> {
  const ports = JSON.parse(readFileSync(join(dirname(dependencies().kubeconfig), 'ports.json'), 'utf8')) as {
    etcd: number;
  };
  const etcd = `http://127.0.0.1:${ports.etcd}`;
  const range = (await (
    await fetch(`${etcd}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: 'AA==' }) })
  ).json()) as { header: { revision: string } };
  const compacted = await fetch(`${etcd}/v3/kv/compaction`, {
    method: 'POST',
    body: JSON.stringify({ revision: range.header.revision, physical: true }),
  });
  expect(compacted.status).toBe(200);
}

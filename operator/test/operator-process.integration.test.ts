import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventTopic, shardAvailability } from '@boxoffice/store';
import { eventually, kubectl } from '@boxoffice/testkit';
import { applyManifest, OperatorWorld, ticketEvent } from './fixtures.ts';
import { OperatorProcess } from './operator-process.ts';

const LEASE_SECONDS = 4;

/** Operator replicas as real processes: leader election, crash, restart, probes and metrics. */
describe('operator replicas (real processes, kube-apiserver, Kafka, PostgreSQL)', () => {
  const world = new OperatorWorld();
  const replicas: OperatorProcess[] = [];
  const replica = (identity: string): Promise<OperatorProcess> => {
    const process = new OperatorProcess(`${world.namespace}-${identity}`);
    replicas.push(process);
    return process.start({
      ...world.env({ LEASE_DURATION_SECONDS: String(LEASE_SECONDS), LEASE_RENEW_INTERVAL_MS: '500' }),
      KUBECONFIG: world.identity.file,
      LOG_LEVEL: 'info',
    });
  };
  const leaders = async (): Promise<OperatorProcess[]> => {
    const running = replicas.filter((r) => r.running);
    const leading = await Promise.all(running.map((r) => r.leading()));
    return running.filter((_, i) => leading[i]);
  };
  const ready = (name: string) =>
    kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', world.namespace, `tev/${name}`);

  beforeAll(async () => {
    await world.start('procs', { operator: false });
  });
  afterAll(async () => {
    // The namespace goes while an operator still runs (its finalizers must let go), then the replicas.
    await world.stop();
    await Promise.all(replicas.filter((r) => r.running).map((r) => r.terminate()));
  });

  it('with two replicas, exactly one leads; it reconciles and serves /healthz, /readyz and /metrics', async () => {
    await replica('a');
    await replica('b');
    await eventually(async () => expect(await leaders()).toHaveLength(1), { timeoutMs: 30_000 });
    applyManifest(ticketEvent(world.namespace, 'first'));
    await ready('first');
    expect(await leaders()).toHaveLength(1);

    for (const r of replicas) {
      expect(await r.get('/healthz')).toMatchObject({ status: 200 });
      expect(await r.get('/readyz')).toMatchObject({ status: 200 });
    }
    const [leader] = await leaders();
    const metrics = (await leader!.get('/metrics')).body;
    expect(metrics).toMatch(/^boxoffice_operator_reconciles_total\{[^}]*result="success"[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^boxoffice_operator_reconcile_duration_seconds_count\{[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^boxoffice_operator_queue_depth\{[^}]*\} \d+/m);
  });

  it('when the leader dies, the other replica takes over within the lease duration and reconciles', async () => {
    const [leader] = await leaders();
    const follower = replicas.find((r) => r !== leader && r.running)!;
    const died = Date.now();
    await leader!.kill();
    applyManifest(ticketEvent(world.namespace, 'second'));
    await eventually(async () => expect(await follower.leading()).toBe(true), {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    // The lease expires LEASE_SECONDS after the last renewal; then one renew interval to notice.
    expect(Date.now() - died).toBeLessThan(LEASE_SECONDS * 1_000 + 2_000);
    await ready('second');
  });

  it('an operator killed mid-reconcile converges once a replica runs again', async () => {
    const [leader] = await leaders();
    applyManifest(
      ticketEvent(world.namespace, 'third', {
        shards: 8,
        ticketTypes: [{ name: 'standard', price: 1000, currency: 'EUR', capacity: 1000 }],
      }),
    );
    await new Promise((r) => setTimeout(r, 150)); // inside the reconcile: topic, rows or children half done
    await leader!.kill();
    await replica('c');
    await ready('third');
    const key = { namespace: world.namespace, name: 'third' };
    const topic = await world.admin.fetchTopicMetadata({ topics: [eventTopic(key)] });
    expect(topic.topics[0]!.partitions).toHaveLength(8);
    const shards = (await shardAvailability(world.pool, key)).get('standard')!;
    expect(shards).toHaveLength(8);
    expect(shards.reduce((a, b) => a + b)).toBe(1000);
  });

  it('a replica stopped gracefully hands the lease over at once', async () => {
    const [leader] = await leaders();
    const standby = await replica('d');
    await eventually(async () => expect((await standby.get('/healthz')).status).toBe(200));
    const stopped = Date.now();
    expect(await leader!.terminate()).toBe(0);
    await eventually(async () => expect(await standby.leading()).toBe(true), {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    // Released, not expired: well under the lease duration.
    expect(Date.now() - stopped).toBeLessThan(LEASE_SECONDS * 1_000);
    applyManifest(ticketEvent(world.namespace, 'fourth'));
    await ready('fourth');
  });
});

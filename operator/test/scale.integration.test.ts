import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ensureTopic } from '@boxoffice/store';
import { eventually, kubeConfig, kubectl } from '@boxoffice/testkit';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { Registry, type Counter } from 'prom-client';
import { dependencyCallMetrics } from '../src/client-metrics.ts';
import { startController } from '../src/controller.ts';
import { allocatorName } from '../src/desired/index.ts';
import { GROUP, PLURAL, VERSION } from '../src/ticket-event.ts';
import { OperatorWorld, ticketEvent } from './fixtures.ts';

const CONCURRENCY = 3;
const EVENTS = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'];

describe('the operator with many events (real kube-apiserver, Kafka, PostgreSQL)', () => {
  const world = new OperatorWorld();
  /** Reconciles inside provisioning right now, per event topic. */
  const inFlight = new Map<string, number>();
  const running = () => [...inFlight.values()].reduce((a, b) => a + b, 0);
  let most = { together: 0, sameEvent: 0 };
  let finished = 0;
  const registry = new Registry();
  const calls = dependencyCallMetrics(registry);

  beforeAll(async () => {
    await world.start('scale', { operator: false });
    world.controller = await startController({
      kubeConfig: world.identity.kubeConfig,
      provision: {
        pool: world.pool,
        admin: world.admin,
        // Every reconcile of an event passes here with its topic: it waits (up to a bound) for the
        // queue to fill its slots, so the overlap the queue allows becomes visible.
        ensureTopic: async (topic, partitions) => {
          inFlight.set(topic, (inFlight.get(topic) ?? 0) + 1);
          most = {
            together: Math.max(most.together, running()),
            sameEvent: Math.max(most.sameEvent, inFlight.get(topic)!),
          };
          try {
            await ensureTopic(world.admin, topic, partitions);
            const until = Date.now() + 10_000;
            while (running() < CONCURRENCY && Date.now() < until) await sleep(50);
            await sleep(200);
          } finally {
            inFlight.set(topic, inFlight.get(topic)! - 1);
          }
        },
      },
      config: world.config({ RECONCILE_CONCURRENCY: String(CONCURRENCY), RESYNC_SECONDS: '3600' }),
      logger: world.logger,
      onResult: () => finished++,
    });
  });
  afterAll(() => world.stop());

  const key = (name: string) => `${world.namespace}/${name}`;

  it('reconciles different events at once, up to RECONCILE_CONCURRENCY, and never one event beside itself', async () => {
    const custom = kubeConfig().makeApiClient(CustomObjectsApi);
    await Promise.all(
      EVENTS.map((name) =>
        custom.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: world.namespace,
          plural: PLURAL,
          body: ticketEvent(world.namespace, name),
        }),
      ),
    );
    // Changes keep arriving for events being reconciled: each must wait for its own reconcile.
    const nudges = setInterval(() => EVENTS.forEach((name) => world.controller!.queue.add(key(name))), 100);
    try {
      for (const name of EVENTS)
        await kubectl(
          'wait',
          '--for=condition=Ready',
          '--timeout=120s',
          '-n',
          world.namespace,
          `tev/${name}`,
        );
    } finally {
      clearInterval(nudges);
    }
    expect(most).toEqual({ together: CONCURRENCY, sameEvent: 1 });
  });

  it('resyncs an unchanged event from the informer caches, without a single Kubernetes request', async () => {
    // Settled: nothing queued or running, every status written.
    await eventually(
      () => {
        expect(world.controller!.queue.depth()).toBe(0);
        expect(running()).toBe(0);
      },
      { timeoutMs: 60_000 },
    );
    await sleep(1_000);
    calls.countKubeRequests(world.identity.kubeConfig.getCurrentCluster()!.server);
    const before = finished;
    for (const name of EVENTS) world.controller!.queue.add(key(name));
    await eventually(() => expect(finished).toBeGreaterThanOrEqual(before + EVENTS.length), {
      timeoutMs: 60_000,
    });
    const counter = registry.getSingleMetric('boxoffice_operator_kube_requests_total') as Counter;
    const sent = (await counter.get()).values.filter((v) => v.value > 0 && v.labels.verb !== 'watch');
    expect(sent).toEqual([]);
  });

  it('still reverts a hand edit of an allocator Deployment (its generation moved)', async () => {
    const name = allocatorName({ namespace: world.namespace, name: 'e1' });
    const patch = {
      spec: { template: { spec: { containers: [{ name: 'allocator', image: 'edited:by-hand' }] } } },
    };
    await kubectl(
      'patch',
      'deployment',
      '-n',
      world.platformNamespace,
      name,
      '--type=strategic',
      '-p',
      JSON.stringify(patch),
    );
    await eventually(
      async () =>
        expect(
          await kubectl(
            'get',
            'deployment',
            '-n',
            world.platformNamespace,
            name,
            '-o',
            'jsonpath={.spec.template.spec.containers[0].image}',
          ),
        ).toBe(world.config().ALLOCATOR_IMAGE),
      { timeoutMs: 60_000 },
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventCounters, eventTopic, findEvent } from '@boxoffice/store';
import { eventually, kubectl } from '@boxoffice/testkit';
import { allocatorName } from '../src/desired/index.ts';
import { applyManifest, OperatorWorld, readEvent, ticketEvent } from './fixtures.ts';

describe('TicketEvent edits (real kube-apiserver, Kafka, PostgreSQL)', () => {
  const world = new OperatorWorld();
  beforeAll(() => world.start('edits'));
  afterAll(() => world.stop());

  const standard = (capacity: number) => [{ name: 'standard', price: 1000, currency: 'EUR', capacity }];

  it('converges on more capacity and more shards: topic partitions, shard rows and scaler follow', async () => {
    const { namespace, pool, admin } = world;
    applyManifest(ticketEvent(namespace, 'grow'));
    await kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', namespace, 'tev/grow');
    applyManifest(
      ticketEvent(namespace, 'grow', {
        shards: 4,
        ticketTypes: standard(200),
        allocator: { minReplicas: 1, maxReplicas: 4, lagThreshold: 50 },
      }),
    );
    await eventually(
      async () => {
        const event = await readEvent(namespace, 'grow');
        expect(event.status).toMatchObject({
          observedGeneration: event.metadata.generation,
          capacity: 200,
          remaining: 200,
          ready: 'True',
        });
      },
      { timeoutMs: 60_000 },
    );
    expect(await eventCounters(pool, { namespace, name: 'grow' })).toEqual([
      { ticketType: 'standard', capacity: 200, held: 0, sold: 0, remaining: 200 },
    ]);
    const topic = await admin.fetchTopicMetadata({ topics: [eventTopic({ namespace, name: 'grow' })] });
    expect(topic.topics[0]!.partitions).toHaveLength(4);
    expect(await kubectl('get', 'tev', '-n', namespace, 'grow')).toMatch(
      /grow\s+OnSale\s+200\s+0\s+200\s+4\s+True/,
    );
    expect(
      await kubectl(
        'get',
        'scaledobject',
        '-n',
        world.platformNamespace,
        allocatorName({ namespace, name: 'grow' }),
        '-o',
        'jsonpath={.spec.maxReplicaCount}',
      ),
    ).toBe('4');
  });

  it('pauses and resumes the sale', async () => {
    const { namespace, pool } = world;
    applyManifest(ticketEvent(namespace, 'intermission'));
    await kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', namespace, 'tev/intermission');
    const paused = async (): Promise<boolean> =>
      (
        await pool.query<{ paused: boolean }>(
          'SELECT paused FROM events WHERE namespace = $1 AND name = $2',
          [namespace, 'intermission'],
        )
      ).rows[0]!.paused;

    applyManifest(ticketEvent(namespace, 'intermission', { paused: true }));
    await kubectl(
      'wait',
      '--for=jsonpath={.status.phase}=Paused',
      '--timeout=30s',
      '-n',
      namespace,
      'tev/intermission',
    );
    expect(await paused()).toBe(true);
    applyManifest(ticketEvent(namespace, 'intermission', { paused: false }));
    await kubectl(
      'wait',
      '--for=jsonpath={.status.phase}=OnSale',
      '--timeout=30s',
      '-n',
      namespace,
      'tev/intermission',
    );
    expect(await paused()).toBe(false);
    expect(
      await kubectl('get', 'events', '-n', namespace, '--field-selector', 'involvedObject.name=intermission'),
    ).toMatch(/PhasePaused[\s\S]*phase OnSale → Paused/);
  });

  it('refuses a capacity below what is held or sold with a condition and an Event, and keeps selling what exists', async () => {
    const { namespace, pool } = world;
    applyManifest(ticketEvent(namespace, 'shrink', { ticketTypes: standard(90) }));
    await kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', namespace, 'tev/shrink');
    // Ten tickets held on shard 0 (as the allocator would have written them).
    await pool.query(
      "UPDATE inventory_shards SET held = 10 WHERE shard = 0 AND event_id = (SELECT id FROM events WHERE namespace = $1 AND name = 'shrink')",
      [namespace],
    );
    applyManifest(ticketEvent(namespace, 'shrink', { ticketTypes: standard(5) }));
    await eventually(
      async () => {
        const event = await readEvent(namespace, 'shrink');
        expect(event.status?.conditions?.find((c) => c.type === 'InventoryReady')).toMatchObject({
          status: 'False',
          reason: 'CapacityBelowAllocated',
          observedGeneration: event.metadata.generation,
        });
        expect(event.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False' });
      },
      { timeoutMs: 60_000 },
    );
    expect(
      await kubectl(
        'get',
        'events',
        '-n',
        namespace,
        '--field-selector',
        'involvedObject.name=shrink,type=Warning',
      ),
    ).toMatch(/CapacityBelowAllocated/);
    expect((await eventCounters(pool, { namespace, name: 'shrink' }))[0]).toMatchObject({
      capacity: 90,
      held: 10,
    });
    expect((await world.allocator('shrink')).metadata?.name).toBe(
      allocatorName({ namespace, name: 'shrink' }),
    );

    // Fixing the spec clears the condition.
    applyManifest(ticketEvent(namespace, 'shrink', { ticketTypes: standard(50) }));
    await kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', namespace, 'tev/shrink');
    expect((await eventCounters(pool, { namespace, name: 'shrink' }))[0]).toMatchObject({
      capacity: 50,
      held: 10,
      remaining: 40,
    });
  });

  it('takes a removed ticket type off sale, and refuses removing one with held tickets with a condition and an Event', async () => {
    const { namespace, pool } = world;
    const vip = { name: 'vip', price: 9000, currency: 'EUR', capacity: 6 };
    const names = async (name: string) =>
      (await findEvent(pool, { namespace, name }))!.ticketTypes.map((t) => t.name);

    // Nothing held or sold: the type leaves the catalog and the status.
    applyManifest(ticketEvent(namespace, 'lineup', { ticketTypes: [...standard(30), vip] }));
    await kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', namespace, 'tev/lineup');
    expect(await names('lineup')).toEqual(['standard', 'vip']);
    applyManifest(ticketEvent(namespace, 'lineup', { ticketTypes: standard(30) }));
    await eventually(
      async () => {
        const event = await readEvent(namespace, 'lineup');
        expect(event.status).toMatchObject({
          observedGeneration: event.metadata.generation,
          ready: 'True',
          capacity: 30,
          ticketTypes: [{ name: 'standard', capacity: 30, remaining: 30 }],
        });
      },
      { timeoutMs: 60_000 },
    );
    expect(await names('lineup')).toEqual(['standard']);

    // Two vip seats held: the removal is refused and nothing of the new spec is applied.
    applyManifest(ticketEvent(namespace, 'encore', { ticketTypes: [...standard(30), vip] }));
    await kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', namespace, 'tev/encore');
    await pool.query(
      "UPDATE inventory_shards SET held = 2 WHERE shard = 1 AND ticket_type = 'vip' AND event_id = (SELECT id FROM events WHERE namespace = $1 AND name = 'encore')",
      [namespace],
    );
    applyManifest(ticketEvent(namespace, 'encore', { ticketTypes: standard(40) }));
    await eventually(
      async () => {
        const event = await readEvent(namespace, 'encore');
        expect(event.status?.conditions?.find((c) => c.type === 'InventoryReady')).toMatchObject({
          status: 'False',
          reason: 'TicketTypeInUse',
          message: expect.stringMatching(/vip cannot be removed: 2 held and 0 sold/),
          observedGeneration: event.metadata.generation,
        });
        expect(event.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False' });
      },
      { timeoutMs: 60_000 },
    );
    expect(
      await kubectl(
        'get',
        'events',
        '-n',
        namespace,
        '--field-selector',
        'involvedObject.name=encore,type=Warning',
      ),
    ).toMatch(/TicketTypeInUse/);
    expect(await names('encore')).toEqual(['standard', 'vip']);
    expect(await eventCounters(pool, { namespace, name: 'encore' })).toEqual([
      { ticketType: 'standard', capacity: 30, held: 0, sold: 0, remaining: 30 },
      { ticketType: 'vip', capacity: 6, held: 2, sold: 0, remaining: 4 },
    ]);

    // Keeping the type clears the condition.
    applyManifest(ticketEvent(namespace, 'encore', { ticketTypes: [...standard(40), vip] }));
    await kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', namespace, 'tev/encore');
    expect((await eventCounters(pool, { namespace, name: 'encore' }))[0]).toMatchObject({ capacity: 40 });
  });
});

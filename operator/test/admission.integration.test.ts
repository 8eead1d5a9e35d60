import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNamespace, kubectl, uniqueName } from '@boxoffice/testkit';
import { applyManifest, installCrd, ticketEvent } from './fixtures.ts';

/** Admission needs no operator: the CRD's schema and CEL rules refuse bad specs by themselves. */
describe('TicketEvent admission (real kube-apiserver)', () => {
  let namespace: string;
  beforeAll(async () => {
    await installCrd();
    namespace = await createNamespace(uniqueName('admission'));
  });
  afterAll(async () => {
    if (namespace) await kubectl('delete', 'namespace', namespace, '--wait=false');
  });

  const sales = { opensAt: '2027-01-01T00:00:00Z', closesAt: '2027-02-01T00:00:00Z' };
  const type = (overrides: Record<string, unknown>) => ({
    name: 'standard',
    price: 1,
    currency: 'EUR',
    capacity: 5,
    ...overrides,
  });
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['no shards', { shards: 0 }, /spec\.shards/],
    ['more than 256 shards', { shards: 300 }, /spec\.shards/],
    [
      'more allocator replicas than shards',
      { shards: 2, allocator: { minReplicas: 0, maxReplicas: 5, lagThreshold: 10 } },
      /spec\.allocator\.maxReplicas must not exceed spec\.shards/,
    ],
    [
      'minReplicas above maxReplicas',
      { allocator: { minReplicas: 3, maxReplicas: 2, lagThreshold: 10 } },
      /spec\.allocator\.minReplicas must not exceed spec\.allocator\.maxReplicas/,
    ],
    ['a negative price', { ticketTypes: [type({ price: -1 })] }, /spec\.ticketTypes\[0\]\.price/],
    ['a negative capacity', { ticketTypes: [type({ capacity: -5 })] }, /spec\.ticketTypes\[0\]\.capacity/],
    [
      'a lower-case currency',
      { ticketTypes: [type({ currency: 'eur' })] },
      /spec\.ticketTypes\[0\]\.currency/,
    ],
    [
      'a four-letter currency',
      { ticketTypes: [type({ currency: 'EURO' })] },
      /spec\.ticketTypes\[0\]\.currency/,
    ],
    [
      'an invalid ticket type name',
      { ticketTypes: [type({ name: 'Bad Name' })] },
      /spec\.ticketTypes\[0\]\.name/,
    ],
    [
      'a duplicate ticket type name',
      { ticketTypes: [type({ name: 'a' }), type({ name: 'a', price: 2 })] },
      /spec\.ticketTypes\[1\]: Duplicate value/,
    ],
    ['no ticket types', { ticketTypes: [] }, /spec\.ticketTypes/],
    [
      'a sale that closes before it opens',
      { sales: { opensAt: '2027-02-01T00:00:00Z', closesAt: '2027-01-01T00:00:00Z' } },
      /spec\.sales\.closesAt must be after spec\.sales\.opensAt/,
    ],
    [
      'a hold TTL that is not a duration',
      { sales: { ...sales, holdTtl: 'ten minutes' } },
      /spec\.sales\.holdTtl/,
    ],
    ['a per-buyer limit of zero', { sales: { ...sales, perBuyerLimit: 0 } }, /spec\.sales\.perBuyerLimit/],
    ['an unknown deletion policy', { deletionPolicy: 'Orphan' }, /spec\.deletionPolicy/],
    ['a start time that is not a timestamp', { startsAt: 'next friday' }, /spec\.startsAt/],
  ];

  it.each(cases)('refuses %s, naming the field', (_case, spec, message) => {
    expect(() => applyManifest(ticketEvent(namespace, uniqueName('bad'), spec))).toThrow(message);
  });

  it('refuses a name longer than 63 characters (it labels the allocator pods)', () => {
    expect(() => applyManifest(ticketEvent(namespace, `a${'b'.repeat(63)}`))).toThrow(/metadata\.name/);
  });

  it('refuses fewer shards than before', () => {
    applyManifest(ticketEvent(namespace, 'shrink', { shards: 3 }));
    expect(() =>
      applyManifest(
        ticketEvent(namespace, 'shrink', {
          shards: 2,
          allocator: { minReplicas: 1, maxReplicas: 2, lagThreshold: 5 },
        }),
      ),
    ).toThrow(/spec\.shards may not decrease/);
  });

  it('fills in defaults for what the user left out', async () => {
    const manifest = ticketEvent(namespace, 'defaults');
    const spec = manifest.spec as Record<string, unknown>;
    delete spec.shards;
    delete spec.allocator;
    spec.sales = sales;
    applyManifest(manifest);
    const stored = JSON.parse(await kubectl('get', 'tev', '-n', namespace, 'defaults', '-o', 'json')) as {
      spec: Record<string, unknown>;
    };
    expect(stored.spec).toMatchObject({
      shards: 1,
      paused: false,
      deletionPolicy: 'Retain',
      allocator: { minReplicas: 0, maxReplicas: 1, lagThreshold: 100 },
      sales: { perBuyerLimit: 4, holdTtl: '10m' },
    });
  });
});

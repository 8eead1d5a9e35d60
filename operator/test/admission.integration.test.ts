import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPool } from '@boxoffice/platform/postgres';
import { migrate } from '@boxoffice/store';
import { createNamespace, createTestDatabase, kubectl, uniqueName } from '@boxoffice/testkit';
import type pg from 'pg';
import { admissionCases, CHECKS, COLUMNS } from './database-limits.ts';
import { applyManifest, installCrd, ticketEvent } from './fixtures.ts';

/** Admission needs no operator: the CRD's schema and CEL rules refuse bad specs by themselves. */
describe('TicketEvent admission (real kube-apiserver)', () => {
  let namespace: string;
  let pool: pg.Pool;
  beforeAll(async () => {
    await installCrd();
    namespace = await createNamespace(uniqueName('admission'));
    const databaseUrl = await createTestDatabase(uniqueName('admission'));
    await migrate(databaseUrl);
    pool = createPool(databaseUrl);
  });
  afterAll(async () => {
    await pool?.end();
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
      'a hold TTL that is not a duration',
      { sales: { ...sales, holdTtl: 'ten minutes' } },
      /spec\.sales\.holdTtl/,
    ],
    [
      'a ticket type name longer than 32 characters',
      { ticketTypes: [type({ name: 'a'.repeat(33) })] },
      /spec\.ticketTypes\[0\]\.name/,
    ],
    ['a display name longer than 200 characters', { displayName: 'x'.repeat(201) }, /spec\.displayName/],
    [
      'more than 32 ticket types',
      { ticketTypes: Array.from({ length: 33 }, (_, i) => type({ name: `t${i}` })) },
      /spec\.ticketTypes/,
    ],
    [
      'more than 256 allocator replicas',
      { shards: 256, allocator: { minReplicas: 0, maxReplicas: 257, lagThreshold: 10 } },
      /spec\.allocator\.maxReplicas/,
    ],
    [
      'a lag threshold of zero',
      { allocator: { minReplicas: 0, maxReplicas: 1, lagThreshold: 0 } },
      /spec\.allocator\.lagThreshold/,
    ],
    [
      'a lag threshold above 1,000,000',
      { allocator: { minReplicas: 0, maxReplicas: 1, lagThreshold: 1_000_001 } },
      /spec\.allocator\.lagThreshold/,
    ],
    ['an unknown deletion policy', { deletionPolicy: 'Orphan' }, /spec\.deletionPolicy/],
    ['a start time that is not a timestamp', { startsAt: 'next friday' }, /spec\.startsAt/],
  ];

  it.each(cases)('refuses %s, naming the field', (_case, spec, message) => {
    expect(() => applyManifest(ticketEvent(namespace, uniqueName('bad'), spec))).toThrow(message);
  });

  describe('every limit of the database', () => {
    it('has a case, or the reason no spec reaches it, for every CHECK constraint of the migrations', async () => {
      const { rows } = await pool.query<{ name: string }>(
        `SELECT conname AS name FROM pg_constraint
         WHERE contype = 'c' AND connamespace = 'public'::regnamespace ORDER BY conname`,
      );
      expect(Object.keys(CHECKS).sort()).toEqual(rows.map((r) => r.name).sort());
    });

    it('has a case, or the reason no spec reaches it, for every column of the migrations', async () => {
      const { rows } = await pool.query<{ name: string }>(
        `SELECT table_name || '.' || column_name AS name FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> 'pgmigrations' ORDER BY 1`,
      );
      expect(Object.keys(COLUMNS).sort()).toEqual(rows.map((r) => r.name).sort());
    });

    it.each(admissionCases())('%s: refuses %s, naming the field', (_limits, _case, admission) => {
      expect(() => applyManifest(ticketEvent(namespace, uniqueName('limit'), admission.spec))).toThrow(
        admission.refusal,
      );
    });
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

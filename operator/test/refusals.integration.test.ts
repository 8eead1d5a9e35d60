import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { provisionEvent } from '@boxoffice/store';
import { eventually, kubectl } from '@boxoffice/testkit';
import { asTerminal, TerminalReason } from '../src/errors.ts';
import { toEventDefinition, type TicketEvent } from '../src/ticket-event.ts';
import { applyManifest, OperatorWorld, readEvent, ticketEvent } from './fixtures.ts';

/**
 * What admission cannot know: here a limit the database has and the CRD does not, as after a newer
 * migration rolled out before the CRD (every service migrates at start; Helm leaves CRDs alone).
 */
describe('specs the database refuses (real kube-apiserver, Kafka, PostgreSQL)', () => {
  const world = new OperatorWorld();
  beforeAll(async () => {
    await world.start('refusals');
    // Counts provisioning attempts: a sequence is not rolled back with the refused transaction.
    await world.pool.query(`
      CREATE SEQUENCE provisioning_attempts;
      CREATE FUNCTION count_provisioning_attempt() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN PERFORM nextval('provisioning_attempts'); RETURN NEW; END $$;
      CREATE TRIGGER count_provisioning_attempts BEFORE INSERT ON events
        FOR EACH ROW EXECUTE FUNCTION count_provisioning_attempt();
      -- The newer limit, named by PostgreSQL after its column: events_hold_ttl_seconds_check1.
      ALTER TABLE events ADD CHECK (hold_ttl_seconds <= 900);`);
  });
  afterAll(() => world.stop());

  const attempts = async (): Promise<number> => {
    const { rows } = await world.pool.query<{ n: string }>(
      'SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM provisioning_attempts',
    );
    return Number(rows[0]!.n);
  };
  const warnings = async (name: string): Promise<string[]> =>
    (
      await kubectl(
        'get',
        'events',
        '-n',
        world.namespace,
        '--field-selector',
        `involvedObject.name=${name},type=Warning`,
        '-o',
        'jsonpath={range .items[*]}{.reason}{"\\n"}{end}',
      )
    )
      .split('\n')
      .filter(Boolean);
  const inventoryCondition = (event: TicketEvent) =>
    event.status?.conditions?.find((c) => c.type === 'InventoryReady');

  it('reports a refused spec once (one condition, one Event) and tries again only when the spec changes', async () => {
    const { namespace } = world;
    applyManifest(ticketEvent(namespace, 'long-holds', { sales: sales('20m') }));
    const refused = await eventually(
      async () => {
        const event = await readEvent(namespace, 'long-holds');
        expect(inventoryCondition(event)).toMatchObject({
          status: 'False',
          reason: TerminalReason.SpecRefusedByDatabase,
          observedGeneration: event.metadata.generation,
        });
        return event;
      },
      { timeoutMs: 60_000 },
    );
    expect(inventoryCondition(refused)?.message).toMatch(
      /^spec\.sales\.holdTtl is refused by the database \(SQLSTATE 23514\): .*events_hold_ttl_seconds_check1/,
    );
    expect(refused.status).toMatchObject({ phase: 'Failed', ready: 'False' });

    // Several resyncs (RESYNC_SECONDS=2) and status updates later: no second attempt, no second Event.
    const afterRefusal = await attempts();
    await sleep(8_000);
    expect(await attempts()).toBe(afterRefusal);
    // The refusal, and the phase change it caused.
    expect((await warnings('long-holds')).sort()).toEqual([
      'PhaseFailed',
      TerminalReason.SpecRefusedByDatabase,
    ]);

    // A new generation is tried again, and this one the database takes.
    applyManifest(ticketEvent(namespace, 'long-holds', { sales: sales('15m') }));
    await kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', namespace, 'tev/long-holds');
    expect(await attempts()).toBeGreaterThan(afterRefusal);
    const ready = await readEvent(namespace, 'long-holds');
    expect(inventoryCondition(ready)).toMatchObject({
      status: 'True',
      observedGeneration: ready.metadata.generation,
    });
  });

  it('maps data exceptions from provisioning (an integer out of range) onto the same terminal reason', async () => {
    const manifest = ticketEvent(world.namespace, 'direct') as unknown as TicketEvent;
    const definition = toEventDefinition({ ...manifest, metadata: { ...manifest.metadata, uid: 'x' } });
    const tooLong = { ...definition, sales: { ...definition.sales, holdTtlSeconds: 36e12 } };
    const error = await provisionEvent({ pool: world.pool, admin: world.admin }, tooLong).catch(
      (e: unknown) => e,
    );
    expect(asTerminal(error)).toMatchObject({ reason: TerminalReason.SpecRefusedByDatabase });
    expect(asTerminal(error)?.message).toMatch(/SQLSTATE 22003\): value "36000000000000" is out of range/);
  });
});

/** A sale window open now, with the given hold TTL. */
function sales(holdTtl: string): Record<string, unknown> {
  const now = Date.now();
  return {
    opensAt: new Date(now - 3_600_000).toISOString(),
    closesAt: new Date(now + 86_400_000).toISOString(),
    perBuyerLimit: 4,
    holdTtl,
  };
}

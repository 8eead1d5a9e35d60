import { describe, expect, it } from '@jest/globals';
import { CapacityBelowAllocatedError } from '@boxoffice/inventory';
import pg from 'pg';
import { asTerminal, errorMessage, standingRefusal, TerminalReason } from './errors.ts';

/** An error as node-postgres builds it from the server's ErrorResponse. */
function databaseError(
  code: string,
  fields: Partial<pg.DatabaseError>,
  message = 'refused',
): pg.DatabaseError {
  return Object.assign(new pg.DatabaseError(message, 0, 'error'), { code, ...fields });
}

describe('the retry policy', () => {
  it('makes constraint violations and data exceptions from PostgreSQL terminal, naming the field', () => {
    const check = asTerminal(
      databaseError(
        '23514',
        { table: 'events', constraint: 'events_hold_ttl_seconds_check' },
        'new row for relation "events" violates check constraint "events_hold_ttl_seconds_check"',
      ),
    );
    expect(check).toMatchObject({ reason: TerminalReason.SpecRefusedByDatabase });
    expect(check?.message).toMatch(/^spec\.sales\.holdTtl is refused by the database \(SQLSTATE 23514\)/);
    // A CHECK added later, named by PostgreSQL after its column.
    expect(
      asTerminal(
        databaseError('23514', { table: 'ticket_types', constraint: 'ticket_types_price_minor_check1' }),
      )?.message,
    ).toMatch(/^spec\.ticketTypes\[\]\.price /);
    expect(
      asTerminal(databaseError('23514', { table: 'events', constraint: 'events_check' }))?.message,
    ).toMatch(/^spec\.sales\.closesAt /);
    const outOfRange = asTerminal(
      databaseError('22003', {}, 'value "36000000000000" is out of range for type integer'),
    );
    expect(outOfRange).toMatchObject({ reason: TerminalReason.SpecRefusedByDatabase });
    expect(outOfRange?.message).toMatch(/^the spec is refused by the database \(SQLSTATE 22003\): value/);
  });

  it('retries what the database may accept next time', () => {
    for (const code of ['40001', '40P01', '57P01', '53300', '08006'])
      expect(asTerminal(databaseError(code, {}))).toBeUndefined();
    expect(
      asTerminal(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBeUndefined();
    expect(asTerminal(new CapacityBelowAllocatedError(1, 2))).toMatchObject({
      reason: TerminalReason.CapacityBelowAllocated,
    });
  });
});

describe('a refusal standing for a generation', () => {
  const refused = (observedGeneration: number, reason: string = TerminalReason.SpecRefusedByDatabase) => [
    { type: 'Ready', status: 'False', reason: 'ChildrenNotReady', message: '', observedGeneration },
    {
      type: 'InventoryReady',
      status: 'False',
      reason,
      message: 'spec.sales.holdTtl is refused',
      observedGeneration,
    },
  ];

  it('stands while the spec is the one that was refused', () => {
    expect(standingRefusal(refused(3), 3)).toEqual({
      reason: TerminalReason.SpecRefusedByDatabase,
      message: 'spec.sales.holdTtl is refused',
    });
  });

  it('falls once the spec changes', () => {
    expect(standingRefusal(refused(3), 4)).toBeUndefined();
  });

  it('never stands for a failure worth retrying, or for a ready inventory', () => {
    expect(standingRefusal(refused(3, 'ProvisioningFailed'), 3)).toBeUndefined();
    expect(
      standingRefusal(
        [
          {
            type: 'InventoryReady',
            status: 'True',
            reason: 'Provisioned',
            message: '',
            observedGeneration: 3,
          },
        ],
        3,
      ),
    ).toBeUndefined();
    expect(standingRefusal(undefined, 1)).toBeUndefined();
  });
});

describe('errorMessage', () => {
  it("adds the cause of fetch's 'fetch failed', where the reason is", () => {
    const refused = new TypeError('fetch failed', {
      cause: new Error('connect ECONNREFUSED 127.0.0.1:6443'),
    });
    expect(errorMessage(refused)).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:6443');
    expect(errorMessage(new Error('plain'))).toBe('plain');
    expect(errorMessage('text')).toBe('text');
  });
});

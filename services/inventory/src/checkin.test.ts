import { describe, expect, it } from '@jest/globals';
import {
  decideCheckin,
  isAdmissible,
  normalizeTicketCode,
  type Admission,
  type ScannedTicket,
} from './checkin.ts';
import { OrderStatus } from './orders.ts';

const door = { namespace: 'demo', name: 'concert' };
const ticket = (overrides: Partial<ScannedTicket> = {}): ScannedTicket => ({
  code: 'ABCDEF-GHJKLM-NPQRST-UVWXYZ23',
  namespace: 'demo',
  name: 'concert',
  ticketType: 'standard',
  orderId: '0190e2a4-0000-7000-8000-000000000001',
  orderStatus: OrderStatus.Confirmed,
  ...overrides,
});
const admission: Admission = {
  code: 'ABCDEF-GHJKLM-NPQRST-UVWXYZ23',
  ticketType: 'standard',
  orderId: '0190e2a4-0000-7000-8000-000000000001',
  admittedAt: '2026-12-01T20:00:00.000Z',
  scannedBy: 'gate-1',
};

describe('isAdmissible', () => {
  it('admits only tickets of confirmed orders', () => {
    const admissible = Object.values(OrderStatus).filter(isAdmissible);
    expect(admissible).toEqual([OrderStatus.Confirmed]);
  });
});

describe('decideCheckin', () => {
  it('admits the first scan of a ticket of a paid order of this event', () => {
    const scanned = ticket();
    expect(decideCheckin(door, scanned, undefined)).toEqual({ kind: 'admit', ticket: scanned });
  });

  it('answers a second scan with the first admission', () => {
    expect(decideCheckin(door, ticket(), admission)).toEqual({ kind: 'already_admitted', admission });
  });

  it('keeps answering "already admitted" after the order was refunded: the holder is inside', () => {
    expect(decideCheckin(door, ticket({ orderStatus: OrderStatus.RefundRequired }), admission).kind).toBe(
      'already_admitted',
    );
  });

  it('refuses an unknown code', () => {
    expect(decideCheckin(door, undefined, undefined)).toEqual({ kind: 'refused', reason: 'unknown_code' });
  });

  it('refuses a ticket of another event of the same organizer, naming it', () => {
    expect(decideCheckin(door, ticket({ name: 'matinee' }), undefined)).toEqual({
      kind: 'refused',
      reason: 'other_event',
      sameOrganizer: true,
      event: { namespace: 'demo', name: 'matinee' },
    });
  });

  it("refuses a ticket of another organizer's event, even one admitted there", () => {
    const decision = decideCheckin(door, ticket({ namespace: 'elsewhere' }), admission);
    expect(decision).toMatchObject({ kind: 'refused', reason: 'other_event', sameOrganizer: false });
  });

  it.each([OrderStatus.RefundRequired, OrderStatus.Expired, OrderStatus.Released, OrderStatus.Held])(
    'refuses a ticket whose order is %s',
    (orderStatus) => {
      expect(decideCheckin(door, ticket({ orderStatus }), undefined)).toEqual({
        kind: 'refused',
        reason: 'not_admissible',
        orderStatus,
      });
    },
  );
});

describe('normalizeTicketCode', () => {
  it('reads a code typed in lower case or with spaces as the issued one', () => {
    expect(normalizeTicketCode(' abcdef-ghjklm-npqrst-uvwxyz23\n')).toBe('ABCDEF-GHJKLM-NPQRST-UVWXYZ23');
  });
});

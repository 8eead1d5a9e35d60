import { describe, expect, it } from '@jest/globals';
import type { Order, Outcome, ShardCommand } from '@boxoffice/inventory';
import { outcomeLabels } from './metrics.ts';

const order = { id: 'o-1', ticketType: 'vip' } as Order;
const purchase = (ticketType: string) =>
  ({ v: 1, kind: 'purchase.requested', orderId: 'o-1', ticketType }) as unknown as ShardCommand;
const expiry = { v: 1, kind: 'hold.expire', orderId: 'o-1' } as ShardCommand;

describe('the labels of an allocator outcome', () => {
  it("name the order's ticket type and the outcome, never the order", () => {
    const held: Outcome = { orderId: 'o-1', kind: 'held', order };
    expect(outcomeLabels('demo/gala', purchase('vip'), held, false)).toEqual({
      event: 'demo/gala',
      ticket_type: 'vip',
      outcome: 'held',
      reason: '',
    });
  });

  it('name the requested ticket type of a rejection, with its reason', () => {
    const rejected: Outcome = { orderId: 'o-1', kind: 'rejected', reason: 'sold_out' };
    expect(outcomeLabels('demo/gala', purchase('standard'), rejected, false)).toMatchObject({
      ticket_type: 'standard',
      outcome: 'rejected',
      reason: 'sold_out',
    });
  });

  it('leave out a ticket type the event does not have, so a bad command cannot mint series', () => {
    const rejected: Outcome = { orderId: 'o-1', kind: 'rejected', reason: 'unknown_ticket_type' };
    expect(outcomeLabels('demo/gala', purchase('x'.repeat(32)), rejected, false)).toMatchObject({
      ticket_type: '',
      reason: 'unknown_ticket_type',
    });
    const ignored: Outcome = { orderId: 'o-1', kind: 'ignored', reason: 'unknown_order' };
    expect(outcomeLabels('demo/gala', expiry, ignored, false)).toMatchObject({
      ticket_type: '',
      outcome: 'ignored',
    });
  });

  it('count a request moved to another shard as forwarded', () => {
    const rejected: Outcome = { orderId: 'o-1', kind: 'rejected', reason: 'sold_out' };
    expect(outcomeLabels('demo/gala', purchase('vip'), rejected, true)).toMatchObject({
      outcome: 'forwarded',
    });
  });
});

import { describe, expect, it } from '@jest/globals';
import { orderAnswerLabels } from './metrics.ts';

const request = { event: { namespace: 'demo', name: 'gala' }, ticketType: 'vip' };

describe('the labels of an answer to an order request', () => {
  it('name the event and ticket type the catalog knows', () => {
    expect(orderAnswerLabels(request, { kind: 'sold_out' })).toEqual({
      event: 'demo/gala',
      ticket_type: 'vip',
      outcome: 'sold_out',
    });
  });

  it('name neither an unknown event nor an unknown ticket type (buyers cannot mint series)', () => {
    expect(orderAnswerLabels(request, { kind: 'event_not_found' })).toEqual({
      event: '',
      ticket_type: '',
      outcome: 'event_not_found',
    });
    expect(orderAnswerLabels(request, { kind: 'unknown_ticket_type' })).toEqual({
      event: 'demo/gala',
      ticket_type: '',
      outcome: 'unknown_ticket_type',
    });
    expect(orderAnswerLabels(request, { kind: 'idempotency_conflict' })).toMatchObject({ ticket_type: '' });
  });
});

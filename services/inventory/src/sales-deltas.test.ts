import { describe, expect, it } from '@jest/globals';
import { parseOrderEvent, type OrderEvent } from './order-events.ts';
import { minuteOf, salesDeltas } from './sales-deltas.ts';

const event = { namespace: 'demo', name: 'gig' };
const at = '2030-01-01T10:15:42.123Z';
const e = (kind: OrderEvent['kind'], extra: Partial<OrderEvent> = {}): OrderEvent => ({
  v: 1,
  kind,
  event,
  orderId: crypto.randomUUID(),
  at,
  ticketType: 'ga',
  quantity: 2,
  amountMinor: 5000,
  currency: 'EUR',
  ...extra,
});

describe('sales deltas', () => {
  it('count each kind under its event, type, channel, currency and minute', () => {
    const { sales, rejections } = salesDeltas([
      e('order.held'),
      e('order.confirmed'),
      e('order.confirmed', { channel: 'box-office' }),
      e('order.expired'),
      e('order.released', { at: '2030-01-01T10:16:00.000Z' }),
      e('order.rejected', { reason: 'sold_out', amountMinor: 0, currency: 'XXX' }),
      e('order.rejected', { reason: 'sold_out', amountMinor: 0, currency: 'XXX' }),
    ]);
    expect(sales).toEqual([
      expect.objectContaining({
        channel: 'online',
        minute: '2030-01-01T10:15:00.000Z',
        currency: 'EUR',
        held: 1,
        confirmed: 1,
        expired: 1,
        released: 0,
        ticketsSold: 2,
        revenueMinor: 5000,
      }),
      expect.objectContaining({ channel: 'box-office', confirmed: 1, ticketsSold: 2, revenueMinor: 5000 }),
      expect.objectContaining({ minute: '2030-01-01T10:16:00.000Z', released: 1, held: 0 }),
    ]);
    expect(rejections).toEqual([
      expect.objectContaining({ reason: 'sold_out', orders: 2, minute: '2030-01-01T10:15:00.000Z' }),
    ]);
  });

  it('count a v1 event without channel or amount as online, with no revenue', () => {
    const { sales } = salesDeltas([
      {
        v: 1,
        kind: 'order.confirmed',
        event,
        orderId: crypto.randomUUID(),
        at,
        ticketType: 'ga',
        quantity: 1,
      },
    ]);
    expect(sales[0]).toMatchObject({
      channel: 'online',
      currency: 'XXX',
      confirmed: 1,
      ticketsSold: 1,
      revenueMinor: 0,
    });
  });

  it('cut time to the minute in UTC', () => {
    expect(minuteOf('2030-01-01T12:15:59.999+02:00')).toBe('2030-01-01T10:15:00.000Z');
  });
});

describe('order event parsing', () => {
  it('reads a v1 event as the allocators produced it before channels, and ignores unknown fields', () => {
    const v1 = {
      v: 1,
      kind: 'order.held',
      event,
      orderId: crypto.randomUUID(),
      at,
      status: 'HELD',
      ticketType: 'ga',
      quantity: 1,
    };
    expect(parseOrderEvent(JSON.stringify(v1))).toEqual({ ok: true, event: v1 });
    expect(parseOrderEvent(JSON.stringify({ ...v1, later: 'field' }))).toMatchObject({ ok: true });
  });

  it('refuses another version or a malformed message with the reason', () => {
    expect(parseOrderEvent(JSON.stringify({ v: 2 }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^v:/),
    });
    expect(parseOrderEvent('{')).toMatchObject({ ok: false, reason: expect.stringMatching(/not JSON/) });
    expect(parseOrderEvent(null)).toEqual({ ok: false, reason: 'empty message value' });
  });
});

import { describe, expect, it } from '@jest/globals';
import { eventDefinition, saleState, type EventDefinition } from './event.ts';

const sales = {
  opensAt: '2026-06-01T10:00:00Z',
  closesAt: '2026-06-30T18:00:00+02:00',
  perBuyerLimit: 4,
  holdTtlSeconds: 600,
};
const event = { sales, paused: false };

describe('saleState', () => {
  it('is not open before the sale opens', () => {
    expect(saleState(event, new Date('2026-06-01T09:59:59.999Z'))).toBe('not-open');
  });

  it('opens at the opening instant and stays open until the closing instant', () => {
    expect(saleState(event, new Date('2026-06-01T10:00:00.000Z'))).toBe('open');
    // closesAt carries an offset: 18:00+02:00 is 16:00Z.
    expect(saleState(event, new Date('2026-06-30T15:59:59.999Z'))).toBe('open');
  });

  it('is closed from the closing instant on', () => {
    expect(saleState(event, new Date('2026-06-30T16:00:00.000Z'))).toBe('closed');
    expect(saleState(event, new Date('2027-01-01T00:00:00.000Z'))).toBe('closed');
  });

  it('is paused while an open sale is paused', () => {
    expect(saleState({ ...event, paused: true }, new Date('2026-06-15T12:00:00Z'))).toBe('paused');
  });

  it('reports a paused sale that has not opened or has closed by its window', () => {
    const paused = { ...event, paused: true };
    expect(saleState(paused, new Date('2026-05-01T00:00:00Z'))).toBe('not-open');
    expect(saleState(paused, new Date('2026-07-01T00:00:00Z'))).toBe('closed');
  });
});

describe('eventDefinition', () => {
  const valid: EventDefinition = {
    namespace: 'acme',
    name: 'spring-gala',
    displayName: 'Spring Gala',
    venue: 'Main Hall',
    startsAt: '2026-07-01T19:00:00Z',
    sales,
    ticketTypes: [{ name: 'ga', priceMinor: 2500, currency: 'EUR', capacity: 500 }],
    shards: 4,
    paused: false,
  };

  it('accepts a complete event', () => {
    expect(eventDefinition.parse(valid)).toEqual(valid);
  });

  it('refuses bad input and names the field', () => {
    const paths = (input: unknown) =>
      eventDefinition.safeParse(input).error?.issues.map((i) => i.path.join('.'));
    expect(paths({ ...valid, shards: 0 })).toEqual(['shards']);
    expect(paths({ ...valid, name: 'Spring_Gala' })).toEqual(['name']);
    expect(paths({ ...valid, ticketTypes: [{ ...valid.ticketTypes[0], capacity: -1 }] })).toEqual([
      'ticketTypes.0.capacity',
    ]);
    expect(paths({ ...valid, ticketTypes: [{ ...valid.ticketTypes[0], currency: 'eur' }] })).toEqual([
      'ticketTypes.0.currency',
    ]);
    expect(paths({ ...valid, sales: { ...sales, perBuyerLimit: 0 } })).toEqual(['sales.perBuyerLimit']);
    expect(paths({ ...valid, ticketTypes: [] })).toEqual(['ticketTypes']);
    expect(eventDefinition.safeParse({ ...valid, colour: 'red' }).error?.issues[0]).toMatchObject({
      code: 'unrecognized_keys',
      keys: ['colour'],
    });
  });
});

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseShardCommand, type ShardCommand } from './messages.ts';

const orderId = '01890a5d-ac96-774b-bcce-b302099a8057';

const valid: Record<ShardCommand['kind'], ShardCommand> = {
  'purchase.requested': {
    v: 1,
    kind: 'purchase.requested',
    orderId,
    buyerId: 'buyer-1',
    ticketType: 'ga',
    quantity: 2,
    idempotencyKey: 'key-1',
    requestedAt: '2026-06-01T10:00:00.000Z',
    replyTo: 'replies:purchase-api-0',
    visitedShards: [0, 3],
  },
  'release.requested': { v: 1, kind: 'release.requested', orderId, buyerId: 'buyer-1' },
  'hold.expire': { v: 1, kind: 'hold.expire', orderId },
  'payment.confirmed': {
    v: 1,
    kind: 'payment.confirmed',
    orderId,
    providerEventId: 'evt_1',
    amountMinor: 5000,
    currency: 'EUR',
  },
  'payment.failed': {
    v: 1,
    kind: 'payment.failed',
    orderId,
    providerEventId: 'evt_2',
    reason: 'card declined',
  },
  'waiting-list.join': {
    v: 1,
    kind: 'waiting-list.join',
    orderId,
    buyerId: 'buyer-1',
    ticketType: 'ga',
    quantity: 2,
    requestedAt: '2026-06-01T10:00:00.000Z',
    replyTo: 'replies:purchase-api-0',
  },
  'waiting-list.leave': { v: 1, kind: 'waiting-list.leave', orderId, buyerId: 'buyer-1' },
  'waiting-list.serve': { v: 1, kind: 'waiting-list.serve', orderId, ticketType: 'ga' },
};
const purchase = valid['purchase.requested'];

const reasonFor = (value: unknown): string => {
  const parsed = parseShardCommand(JSON.stringify(value));
  if (parsed.ok) throw new Error(`expected ${JSON.stringify(value)} to be refused`);
  return parsed.reason;
};

describe('parseShardCommand', () => {
  it.each(Object.values(valid))('accepts a valid $kind command, from a string or a Buffer', (command) => {
    expect(parseShardCommand(JSON.stringify(command))).toEqual({ ok: true, command });
    expect(parseShardCommand(Buffer.from(JSON.stringify(command)))).toEqual({ ok: true, command });
  });

  it('accepts a purchase without the optional reply channel and visited shards', () => {
    const {
      replyTo: _r,
      visitedShards: _v,
      ...bare
    } = purchase as Extract<ShardCommand, { kind: 'purchase.requested' }>;
    expect(parseShardCommand(JSON.stringify(bare))).toEqual({ ok: true, command: bare });
  });

  it('refuses an empty value and malformed JSON', () => {
    expect(parseShardCommand(null)).toEqual({ ok: false, reason: 'empty message value' });
    expect(parseShardCommand('{"v":1,')).toEqual({ ok: false, reason: expect.stringMatching(/^not JSON: /) });
    expect(parseShardCommand(Buffer.from([0xff, 0xfe, 0x7b]))).toMatchObject({ ok: false });
    expect(parseShardCommand('')).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/) });
  });

  it('refuses JSON that is not an object', () => {
    for (const value of [null, 5, 'purchase', [purchase]]) expect(reasonFor(value)).toMatch(/^\(root\): /);
  });

  it('refuses a version it does not know, naming the version field', () => {
    expect(reasonFor({ ...purchase, v: 2 })).toMatch(/^v: /);
    expect(reasonFor({ ...purchase, v: '1' })).toMatch(/^v: /);
  });

  it('refuses an unknown kind, naming the kind field', () => {
    expect(reasonFor({ ...purchase, kind: 'purchase.cancelled' })).toMatch(/^kind: /);
    const { kind: _kind, ...noKind } = purchase;
    expect(reasonFor(noKind)).toMatch(/^kind: /);
  });

  it('refuses unknown fields, naming them (__proto__ included)', () => {
    expect(reasonFor({ ...purchase, price: 0 })).toMatch(/Unrecognized key: "price"/);
    expect(
      parseShardCommand(
        '{"v":1,"kind":"hold.expire","orderId":"' + orderId + '","__proto__":{"admin":true}}',
      ),
    ).toEqual({ ok: false, reason: expect.stringContaining('"__proto__"') });
  });

  it('refuses a zero, negative, fractional or huge quantity, naming the quantity field', () => {
    for (const quantity of [0, -1, 1.5, 101, 1e20, '2']) {
      expect(reasonFor({ ...purchase, quantity })).toMatch(/^quantity: /);
    }
  });

  it('refuses a negative payment amount and a currency that is not ISO 4217', () => {
    expect(reasonFor({ ...valid['payment.confirmed'], amountMinor: -1 })).toMatch(/^amountMinor: /);
    expect(reasonFor({ ...valid['payment.confirmed'], currency: 'euro' })).toMatch(/^currency: /);
  });

  it('refuses a malformed order id, ticket type or timestamp, naming the field', () => {
    expect(reasonFor({ ...purchase, orderId: 'order-1' })).toMatch(/^orderId: /);
    expect(reasonFor({ ...purchase, ticketType: 'GA Floor' })).toMatch(/^ticketType: /);
    expect(reasonFor({ ...purchase, requestedAt: '2026-02-30T10:00:00Z' })).toMatch(/^requestedAt: /);
    expect(reasonFor({ ...purchase, visitedShards: [256] })).toMatch(/^visitedShards\.0: /);
  });

  it.each([
    ['purchase.requested', 'buyerId'],
    ['purchase.requested', 'ticketType'],
    ['purchase.requested', 'quantity'],
    ['purchase.requested', 'idempotencyKey'],
    ['purchase.requested', 'requestedAt'],
    ['purchase.requested', 'orderId'],
    ['release.requested', 'buyerId'],
    ['payment.confirmed', 'providerEventId'],
    ['payment.confirmed', 'amountMinor'],
    ['payment.confirmed', 'currency'],
    ['payment.failed', 'reason'],
  ] as const)('refuses a %s without %s, naming the field', (kind, field) => {
    const command: Record<string, unknown> = { ...valid[kind] };
    delete command[field];
    expect(reasonFor(command)).toMatch(new RegExp(`^${field}: `));
  });

  it('names every field that is wrong', () => {
    const reason = reasonFor({ ...purchase, quantity: -1, buyerId: '' });
    expect(reason).toMatch(/quantity: /);
    expect(reason).toMatch(/buyerId: /);
  });

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc
            .record({ ...Object.fromEntries(Object.keys(purchase).map((k) => [k, fc.jsonValue()])) })
            .map((v) => JSON.stringify({ ...purchase, ...v })),
          fc.uint8Array().map((bytes) => Buffer.from(bytes)),
        ),
        (value) => {
          const parsed = parseShardCommand(value);
          expect(typeof parsed.ok).toBe('boolean');
          if (!parsed.ok) expect(parsed.reason.length).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('accepts a command keyed by its order id or not keyed, and refuses one keyed by another order', () => {
    const value = JSON.stringify(purchase);
    expect(parseShardCommand(value, orderId)).toEqual({ ok: true, command: purchase });
    expect(parseShardCommand(value, Buffer.from(orderId))).toEqual({ ok: true, command: purchase });
    expect(parseShardCommand(value, null)).toEqual({ ok: true, command: purchase });
    expect(parseShardCommand(value, '01890a5d-ac96-774b-bcce-b302099a8058')).toEqual({
      ok: false,
      reason: `key_mismatch: the message key "01890a5d-ac96-774b-bcce-b302099a8058" is not the order id ${orderId} of its purchase.requested`,
    });
  });

  it('refuses deeply nested JSON without throwing', () => {
    expect(parseShardCommand('['.repeat(100_000) + ']'.repeat(100_000)).ok).toBe(false);
  });
});

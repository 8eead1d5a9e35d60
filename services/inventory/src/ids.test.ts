import { describe, expect, it } from '@jest/globals';
import { newOrderId, newTicketCode } from './ids.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newOrderId', () => {
  it('is a UUIDv7', () => {
    for (let i = 0; i < 100; i++) expect(newOrderId()).toMatch(UUID_V7);
  });

  it('carries its creation time in milliseconds in its first 48 bits', () => {
    const before = Date.now();
    const id = newOrderId();
    const after = Date.now();
    const millis = Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    expect(millis).toBeGreaterThanOrEqual(before);
    expect(millis).toBeLessThanOrEqual(after);
  });

  it('is unique and sorts in the order the ids were made', () => {
    const ids = Array.from({ length: 10_000 }, () => newOrderId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });
});

describe('newTicketCode', () => {
  it('is 26 characters of unambiguous base32 in groups of 6-6-6-8', () => {
    for (let i = 0; i < 1000; i++) {
      const code = newTicketCode();
      expect(code).toMatch(/^[A-HJ-NP-Z2-9]{6}-[A-HJ-NP-Z2-9]{6}-[A-HJ-NP-Z2-9]{6}-[A-HJ-NP-Z2-9]{8}$/);
      expect(code).not.toMatch(/[01IO]/);
    }
  });

  it('never repeats', () => {
    const codes = Array.from({ length: 50_000 }, () => newTicketCode());
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('uses every symbol of its alphabet in every position', () => {
    const codes = Array.from({ length: 5000 }, () => newTicketCode().replaceAll('-', ''));
    for (const position of [0, 12, 25]) {
      expect(new Set(codes.map((c) => c[position])).size).toBe(32);
    }
  });
});

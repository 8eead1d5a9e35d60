import { describe, expect, it } from '@jest/globals';
import { parseReplies } from './replies.ts';

const held = {
  orderId: '0b7b4a52-3f39-4a57-9d3c-0cfa8a0fbc5e',
  kind: 'held',
  status: 'HELD',
  expiresAt: 'x',
};
const rejected = { orderId: '5d0c5b8e-6a8e-4d52-8a7e-2b1f0c3d4e5f', kind: 'rejected', reason: 'sold_out' };

describe('parseReplies', () => {
  it('reads a batch message (an array) and a single reply', () => {
    expect(parseReplies(JSON.stringify([held, rejected]))).toEqual([held, rejected]);
    expect(parseReplies(JSON.stringify(held))).toEqual([held]);
  });

  it('skips what is malformed instead of throwing, keeping the valid replies of the batch', () => {
    expect(parseReplies('not json')).toEqual([]);
    expect(parseReplies('null')).toEqual([]);
    expect(parseReplies(JSON.stringify([{ orderId: 'nope', kind: 'held' }, held, 42]))).toEqual([held]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { secondsUntilServed, type ProbeAnswer } from './probe.ts';

const answer = (sentAt: number, status: number): ProbeAnswer => ({
  sentAt,
  answeredAt: sentAt + 100,
  status,
});

describe('time until the platform served again', () => {
  it('is measured to the first hold after the first probe, sent after the injection, that got none', () => {
    const answers = [
      answer(0, 503),
      answer(1000, 201),
      answer(2000, 0),
      answer(3000, 202),
      answer(4000, 201),
      answer(5000, 503),
    ];
    expect(secondsUntilServed(answers, 500)).toBe(3.6);
  });

  it('is 0 when every probe after the injection got a hold', () => {
    expect(secondsUntilServed([answer(0, 503), answer(1000, 201)], 500)).toBe(0);
  });

  it('ignores what follows the sell-out, and is unknown when nothing was served before it', () => {
    expect(secondsUntilServed([answer(1000, 201), answer(2000, 409), answer(3000, 0)], 0)).toBe(0);
    expect(
      secondsUntilServed([answer(1000, 503), answer(2000, 201), answer(3000, 409), answer(4000, 0)], 0),
    ).toBe(2.1);
    expect(secondsUntilServed([answer(1000, 503), answer(2000, 409)], 0)).toBeUndefined();
  });
});

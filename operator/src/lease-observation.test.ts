import { describe, expect, it } from '@jest/globals';
import { expired, observe } from './lease-observation.ts';

const held = (renewTime: string, resourceVersion = '1') => ({
  holderIdentity: 'a',
  renewTime,
  resourceVersion,
  leaseDurationSeconds: 10,
});

describe('when a lease held by someone else has expired', () => {
  it('is not expired while the observer keeps seeing it change, whatever renewTime says', () => {
    // The holder's clock runs an hour behind: its renewTime is always "long ago".
    let seen = observe(undefined, held('2020-01-01T00:00:00.000000Z', '1'), 0);
    for (let t = 4_000, rv = 2; t <= 60_000; t += 4_000, rv++) {
      seen = observe(
        seen,
        held(`2020-01-01T00:00:${String(t / 1000).padStart(2, '0')}.000000Z`, String(rv)),
        t,
      );
      expect(expired(seen, t, 15)).toBe(false);
    }
  });

  it('expires once the observer has seen no change for the lease duration, even with renewTime in the future', () => {
    const future = held('2999-01-01T00:00:00.000000Z');
    let seen = observe(undefined, future, 1_000);
    seen = observe(seen, future, 10_999);
    expect(expired(seen, 10_999, 15)).toBe(false);
    seen = observe(seen, future, 11_000);
    expect(expired(seen, 11_000, 15)).toBe(true);
  });

  it('restarts the wait when only the resourceVersion changed', () => {
    let seen = observe(undefined, held('2026-01-01T00:00:00.000000Z', '1'), 0);
    seen = observe(seen, held('2026-01-01T00:00:00.000000Z', '2'), 9_000);
    expect(expired(seen, 18_000, 15)).toBe(false);
    expect(expired(seen, 19_000, 15)).toBe(true);
  });

  it("uses the holder's declared duration, and ours when it declared none", () => {
    const seen = observe(undefined, { holderIdentity: 'a', resourceVersion: '1' }, 0);
    expect(expired(seen, 14_999, 15)).toBe(false);
    expect(expired(seen, 15_000, 15)).toBe(true);
  });

  it('treats a lease without a holder (released) as free at once', () => {
    expect(expired(observe(undefined, { resourceVersion: '7' }, 0), 0, 15)).toBe(true);
  });
});

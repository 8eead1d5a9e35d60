import { describe, expect, it } from '@jest/globals';
import { AppError, defineError, defineErrors, isAppError, isRetryable, PlatformErrors } from './index.ts';

describe('error registry', () => {
  const ShopErrors = defineErrors({
    SoldOut: { code: 'sold-out', status: 409, title: 'Sold out' },
    Busy: { code: 'shard-busy', status: 503, title: 'Try again', retryable: true },
  });

  it('gives each declared error a stable type URI under boxoffice.dev/problems', () => {
    expect(ShopErrors.SoldOut).toEqual({
      code: 'sold-out',
      status: 409,
      title: 'Sold out',
      type: 'https://boxoffice.dev/problems/sold-out',
      retryable: false,
    });
  });

  it('treats errors as terminal unless declared retryable', () => {
    expect(isRetryable(new AppError(ShopErrors.SoldOut))).toBe(false);
    expect(isRetryable(new AppError(ShopErrors.Busy))).toBe(true);
    expect(isRetryable(new Error('boom'))).toBe(false);
  });

  it('refuses duplicate codes, non-kebab codes and non-error statuses at load', () => {
    expect(() =>
      defineErrors({
        A: { code: 'same', status: 400, title: 'a' },
        B: { code: 'same', status: 409, title: 'b' },
      }),
    ).toThrow(/declared twice/);
    expect(() => defineError({ code: 'SoldOut', status: 409, title: 'x' })).toThrow(/kebab-case/);
    expect(() => defineError({ code: 'ok', status: 200, title: 'x' })).toThrow(/4xx or 5xx/);
  });

  it('carries detail, extensions, headers and cause on an AppError', () => {
    const cause = new Error('redis down');
    const error = new AppError(PlatformErrors.RateLimited, {
      detail: 'slow down',
      extensions: { limit: 10 },
      headers: { 'Retry-After': '3' },
      cause,
    });
    expect(error.code).toBe('rate-limited');
    expect(error.status).toBe(429);
    expect(error.message).toBe('slow down');
    expect(error.extensions).toEqual({ limit: 10 });
    expect(error.headers).toEqual({ 'Retry-After': '3' });
    expect(error.cause).toBe(cause);
    expect(isAppError(error, PlatformErrors.RateLimited)).toBe(true);
    expect(isAppError(error, PlatformErrors.NotFound)).toBe(false);
  });
});

import { describe, expect, it } from '@jest/globals';
import { AppError } from '@boxoffice/platform/errors/app-error';
import { channelFromClaims } from './token-channel.ts';

describe("a purchase's sales channel", () => {
  it('is online for a token without a channel claim', () => {
    expect(channelFromClaims({ sub: 'b' }, [])).toBe('online');
  });

  it("is the token's channel when purchase-api accepts it", () => {
    expect(channelFromClaims({ channel: 'box-office' }, ['box-office', 'partner'])).toBe('box-office');
  });

  it('refuses a channel the configuration does not list, or a claim that is not a string, with 403', () => {
    for (const channel of ['partner', 42, ['box-office']]) {
      try {
        channelFromClaims({ channel }, ['box-office']);
        throw new Error('accepted');
      } catch (error) {
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).kind.status).toBe(403);
        expect((error as AppError).kind.code).toBe('channel-not-allowed');
      }
    }
  });
});

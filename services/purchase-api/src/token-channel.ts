import { DEFAULT_SALES_CHANNEL } from '@boxoffice/inventory';
import { AppError } from '@boxoffice/platform/errors/app-error';
import { PurchaseErrors } from './errors.ts';

/**
 * The sales channel of a purchase: the token's `channel` claim (a box office's or a partner's
 * tokens, as the issuer mints them), accepted only when purchase-api's SALES_CHANNELS lists it;
 * `online` without the claim. Anything else is refused (403) rather than sold as `online`.
 */
export function channelFromClaims(claims: Record<string, unknown>, allowed: readonly string[]): string {
  const claimed = claims.channel ?? DEFAULT_SALES_CHANNEL;
  if (typeof claimed === 'string' && (claimed === DEFAULT_SALES_CHANNEL || allowed.includes(claimed)))
    return claimed;
  const accepted = [DEFAULT_SALES_CHANNEL, ...allowed.filter((c) => c !== DEFAULT_SALES_CHANNEL)];
  throw new AppError(PurchaseErrors.ChannelNotAllowed, {
    detail: `sales channel ${JSON.stringify(claimed)} is not one of ${accepted.join(', ')}`,
  });
}

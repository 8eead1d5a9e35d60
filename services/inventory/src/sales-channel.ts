import { z } from 'zod';

/**
 * Where an order was sold. `online` is every buyer's; others (`box-office`, `partner`) come from a
 * token claim that purchase-api accepts only from its configured list.
 */
export const DEFAULT_SALES_CHANNEL = 'online';
export const salesChannel = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'a sales channel is lowercase letters, digits and dashes (1-32)');

/** The channel of an order or event that may predate channels. */
export const channelOf = (value: { channel?: string | undefined }): string =>
  value.channel ?? DEFAULT_SALES_CHANNEL;

import { z } from 'zod';

/** Canonical name rules shared with the CRD: Kubernetes DNS labels for events, lower-case for ticket types. */
export const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a DNS label');
export const ticketTypeName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/, 'must be lower-case letters, digits and dashes');

export const ticketTypeSpec = z.strictObject({
  name: ticketTypeName,
  /** Price in minor units of `currency` (cents); 0 means free. */
  priceMinor: z.int().min(0),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
  capacity: z.int().min(0),
});
export type TicketTypeSpec = z.infer<typeof ticketTypeSpec>;

/**
 * An event as the purchase path needs it: what the operator provisions from a TicketEvent and
 * what the catalog stores. Times are ISO 8601 strings.
 */
export const eventDefinition = z.strictObject({
  namespace: dnsLabel,
  name: dnsLabel,
  displayName: z.string().min(1).max(200),
  venue: z.string().max(200),
  startsAt: z.iso.datetime({ offset: true }),
  sales: z.strictObject({
    opensAt: z.iso.datetime({ offset: true }),
    closesAt: z.iso.datetime({ offset: true }),
    perBuyerLimit: z.int().min(1).max(1000),
    holdTtlSeconds: z.int().min(1).max(86_400),
  }),
  ticketTypes: z.array(ticketTypeSpec).min(1),
  shards: z.int().min(1).max(256),
  paused: z.boolean(),
});
export type EventDefinition = z.infer<typeof eventDefinition>;

export interface EventKey {
  namespace: string;
  name: string;
}

export type SaleState = 'not-open' | 'open' | 'paused' | 'closed';

/** Whether buyers may place orders right now (sold-out is decided by inventory, not here). */
export function saleState(event: Pick<EventDefinition, 'sales' | 'paused'>, now: Date): SaleState {
  if (now.getTime() >= Date.parse(event.sales.closesAt)) return 'closed';
  if (now.getTime() < Date.parse(event.sales.opensAt)) return 'not-open';
  return event.paused ? 'paused' : 'open';
}

import { newOrderId, type EventDefinition, type PurchaseRequested } from '@boxoffice/inventory';

/** An event on sale now, for tests. */
export function eventOnSale(namespace: string, overrides: Partial<EventDefinition> = {}): EventDefinition {
  const now = Date.now();
  return {
    namespace,
    name: 'concert',
    displayName: 'Test Concert',
    venue: 'Test Hall',
    startsAt: new Date(now + 30 * 86_400_000).toISOString(),
    sales: {
      opensAt: new Date(now - 3_600_000).toISOString(),
      closesAt: new Date(now + 86_400_000).toISOString(),
      perBuyerLimit: 4,
      holdTtlSeconds: 600,
    },
    ticketTypes: [{ name: 'standard', priceMinor: 5000, currency: 'EUR', capacity: 10 }],
    shards: 2,
    paused: false,
    ...overrides,
  };
}

export function purchase(
  buyerId: string,
  quantity = 1,
  overrides: Partial<PurchaseRequested> = {},
): PurchaseRequested {
  return {
    v: 1,
    kind: 'purchase.requested',
    orderId: newOrderId(),
    buyerId,
    ticketType: 'standard',
    quantity,
    idempotencyKey: newOrderId(),
    requestedAt: new Date().toISOString(),
    ...overrides,
  };
}

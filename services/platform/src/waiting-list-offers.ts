import type { Redis } from 'ioredis';

/**
 * Holds offered to waiting buyers, fanned out to the event's SSE streams (`event: offer`) after the
 * allocator's commit. An offer names only its order id, which is the waiting-list entry's id: the
 * buyer who joined knows it, anyone else learns nothing they could use (an order is read by its
 * owner only). Losing a message loses nothing: the offer is the buyer's order in PostgreSQL.
 */
export interface OfferNotice {
  orderId: string;
  ticketType: string;
  quantity: number;
  expiresAt: string;
}

export function offersChannel(prefix: string, eventKey: string): string {
  return `${prefix}waiting-list-offers:${eventKey}`;
}

export async function publishOffers(
  redis: Redis,
  prefix: string,
  eventKey: string,
  offers: OfferNotice[],
): Promise<void> {
  if (offers.length === 0) return;
  const pipeline = redis.pipeline();
  for (const offer of offers) pipeline.publish(offersChannel(prefix, eventKey), JSON.stringify(offer));
  await pipeline.exec();
}

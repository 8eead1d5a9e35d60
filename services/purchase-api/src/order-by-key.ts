import { setTimeout as sleep } from 'node:timers/promises';
import type { EventKey } from '@boxoffice/inventory';
import { findOrderByIdempotencyKey, type StoredOrder } from '@boxoffice/store';
import type pg from 'pg';

/** First look after this long (a batch usually commits within it), then twice as long each time. */
const FIRST_LOOK_MS = 25;
const LONGEST_PAUSE_MS = 400;

/**
 * The order a purchase request created, read from PostgreSQL by its Idempotency-Key until it is
 * there or `timeoutMs` passed: the answer when no reply can come (Redis down). By key, not by order
 * id, so a retry that the allocator recognised as a duplicate gets the original order. The pauses
 * grow, so a slow allocator costs PostgreSQL a handful of indexed reads per request, not a stream.
 */
export async function waitForOrderByKey(
  pool: pg.Pool,
  request: { event: EventKey; buyerId: string; idempotencyKey: string },
  timeoutMs: number,
): Promise<StoredOrder | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = FIRST_LOOK_MS; ; pause = Math.min(pause * 2, LONGEST_PAUSE_MS)) {
    await sleep(Math.max(0, Math.min(pause, deadline - Date.now())));
    const order = await findOrderByIdempotencyKey(
      pool,
      request.event,
      request.buyerId,
      request.idempotencyKey,
    );
    if (order || Date.now() >= deadline) return order;
  }
}

import type { EventKey } from '@boxoffice/inventory';
import { findEvent, type CatalogEvent } from '@boxoffice/store';
import type pg from 'pg';

/**
 * Event settings (sale window, limits, prices) cached per instance for a short time: every order
 * needs them, and the allocator re-checks what matters (stock, limits) against PostgreSQL.
 * While PostgreSQL cannot be read, the last settings read are used: a purchase needs only Kafka
 * (the allocator waits for PostgreSQL and decides then), so an outage of the database costs buyers
 * 202s instead of 500s (`npm run faults`, postgres-immediate-stop). Never read: the error stands.
 */
export function eventCatalog(
  pool: pg.Pool,
  ttlMs: number,
): (event: EventKey) => Promise<CatalogEvent | undefined> {
  const cache = new Map<string, { at: number; event: Promise<CatalogEvent | undefined> }>();
  const lastRead = new Map<string, CatalogEvent | undefined>();
  return (event) => {
    const key = `${event.namespace}/${event.name}`;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < ttlMs) return hit.event;
    const loading = findEvent(pool, event).then(
      (found) => {
        lastRead.set(key, found);
        return found;
      },
      (error: unknown) => {
        cache.delete(key); // the next request tries PostgreSQL again
        if (lastRead.has(key)) return lastRead.get(key);
        throw error;
      },
    );
    cache.set(key, { at: Date.now(), event: loading });
    return loading;
  };
}

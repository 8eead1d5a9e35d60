import type { EventKey } from '@boxoffice/inventory';
import { findEvent, type CatalogEvent } from '@boxoffice/store';
import type pg from 'pg';

/**
 * Event settings (sale window, limits, prices) cached per instance for a short time: every order
 * needs them, and the allocator re-checks what matters (stock, limits) against PostgreSQL.
 */
export function eventCatalog(
  pool: pg.Pool,
  ttlMs: number,
): (event: EventKey) => Promise<CatalogEvent | undefined> {
  const cache = new Map<string, { at: number; event: Promise<CatalogEvent | undefined> }>();
  return (event) => {
    const key = `${event.namespace}/${event.name}`;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < ttlMs) return hit.event;
    const loading = findEvent(pool, event);
    cache.set(key, { at: Date.now(), event: loading });
    loading.catch(() => cache.delete(key));
    return loading;
  };
}

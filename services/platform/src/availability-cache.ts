import type { Redis } from 'ioredis';

/**
 * Remaining stock per shard and ticket type, cached in Redis for the purchase path's routing and
 * sold-out fast path, and fanned out to SSE clients. Only a hint: the allocator decides every hold
 * against PostgreSQL, and a missing entry is rebuilt from PostgreSQL by the reader.
 */
export interface AvailabilityCache {
  /** Remaining per shard for each ticket type, or undefined when nothing is cached. */
  read(eventKey: string): Promise<Map<string, number[]> | undefined>;
  write(eventKey: string, availability: Map<string, number[]>): Promise<void>;
  /** Writes one shard's counters and notifies subscribers of the event. */
  writeShard(eventKey: string, shard: number, remaining: Map<string, number>): Promise<void>;
  channel(eventKey: string): string;
}

// Entries expire so that a value written by a consumer that lost its partition cannot linger.
const TTL_SECONDS = 60;

export function availabilityCache(redis: Redis, prefix: string): AvailabilityCache {
  const key = (eventKey: string): string => `${prefix}avail:${eventKey}`;
  const channel = (eventKey: string): string => `${prefix}avail-changes:${eventKey}`;
  return {
    channel,
    async read(eventKey) {
      const fields = await redis.hgetall(key(eventKey));
      if (Object.keys(fields).length === 0) return undefined;
      const availability = new Map<string, number[]>();
      for (const [field, value] of Object.entries(fields)) {
        const [type, shard] = field.split('#');
        const shards = availability.get(type!) ?? [];
        shards[Number(shard)] = Number(value);
        availability.set(type!, shards);
      }
      return availability;
    },
    async write(eventKey, availability) {
      const fields: Record<string, number> = {};
      for (const [type, shards] of availability)
        shards.forEach((remaining, shard) => (fields[`${type}#${shard}`] = remaining));
      if (Object.keys(fields).length === 0) return;
      await redis.multi().hset(key(eventKey), fields).expire(key(eventKey), TTL_SECONDS).exec();
    },
    async writeShard(eventKey, shard, remaining) {
      const fields: Record<string, number> = {};
      for (const [type, value] of remaining) fields[`${type}#${shard}`] = value;
      await redis
        .multi()
        .hset(key(eventKey), fields)
        .expire(key(eventKey), TTL_SECONDS)
        .publish(channel(eventKey), JSON.stringify({ shard, remaining: Object.fromEntries(remaining) }))
        .exec();
    },
  };
}

import { RedisSubscriber } from '@boxoffice/platform/redis-subscriber';
import { eventKeyString, type CatalogEvent } from '@boxoffice/store';
import type { Redis } from 'ioredis';

type Availability = Map<string, number[]>;

interface Entry {
  availability?: Availability;
  loadedAt: number;
  loading?: Promise<Availability>;
}

export interface AvailabilityViewOptions {
  channel: (eventKey: string) => string;
  /** Reads the event's availability from the shared cache (or rebuilds it from PostgreSQL). */
  load: (event: CatalogEvent) => Promise<Availability>;
  maxAgeMs: number;
}

/**
 * Remaining stock per shard and ticket type, kept in this process: loaded once per event, then
 * updated by the allocators' availability messages (Redis pub/sub, the same channel the SSE stream
 * follows) and reloaded every `maxAgeMs` in case a message was missed across a reconnect. Routing an
 * order then needs no Redis read, and a sold-out answer no I/O at all. Only a hint, like the Redis
 * entry it mirrors: the allocator decides every hold against PostgreSQL. Without Redis it is
 * reloaded (from PostgreSQL) every `maxAgeMs`, and at once when the subscription comes back.
 */
export class AvailabilityView {
  private readonly entries = new Map<string, Entry>();
  private readonly followed = new Set<string>();
  private readonly subscriber: RedisSubscriber;
  private readonly options: AvailabilityViewOptions;

  constructor(redis: Redis, options: AvailabilityViewOptions) {
    this.options = options;
    this.subscriber = new RedisSubscriber(redis);
  }

  /** The event's availability; at most `maxAgeMs` old unless a reload is under way. */
  async current(event: CatalogEvent): Promise<Availability> {
    const key = eventKeyString(event);
    const entry = this.entries.get(key) ?? { loadedAt: 0 };
    this.entries.set(key, entry);
    const fresh = Date.now() - entry.loadedAt < this.options.maxAgeMs;
    if (entry.availability && fresh) return entry.availability;
    entry.loading ??= this.reload(event, key, entry).finally(() => (entry.loading = undefined));
    // While a reload is under way, the previous figures serve (they were updated by messages).
    return entry.availability ?? entry.loading;
  }

  stop(): void {
    this.subscriber.stop();
  }

  private async reload(event: CatalogEvent, key: string, entry: Entry): Promise<Availability> {
    if (!this.followed.has(key)) {
      this.followed.add(key);
      const subscription = this.subscriber.listen(this.options.channel(key), {
        message: (message) => this.apply(key, message),
        // Messages were lost while the subscription was gone: the next request reloads.
        resubscribed: () => (entry.loadedAt = 0),
      });
      // Subscribed before the first read, so no change between the read and the subscription is lost.
      await subscription.confirmed;
    }
    const availability = await this.options.load(event);
    entry.availability = availability;
    entry.loadedAt = Date.now();
    return availability;
  }

  /** An allocator's message `{ shard, remaining: { [ticketType]: n } }` after a batch of its shard. */
  private apply(key: string, message: string): void {
    const availability = this.entries.get(key)?.availability;
    if (!availability) return;
    let change: { shard?: unknown; remaining?: unknown };
    try {
      change = JSON.parse(message) as typeof change;
    } catch {
      return;
    }
    if (typeof change.shard !== 'number' || typeof change.remaining !== 'object' || !change.remaining) return;
    for (const [type, remaining] of Object.entries(change.remaining)) {
      if (typeof remaining !== 'number') continue;
      const shards = availability.get(type) ?? [];
      shards[change.shard] = remaining;
      availability.set(type, shards);
    }
  }
}

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
 * entry it mirrors: the allocator decides every hold against PostgreSQL.
 */
export class AvailabilityView {
  private readonly entries = new Map<string, Entry>();
  private readonly keysByChannel = new Map<string, string>();
  private readonly subscriber: Redis;
  private readonly options: AvailabilityViewOptions;

  constructor(redis: Redis, options: AvailabilityViewOptions) {
    this.options = options;
    this.subscriber = redis.duplicate();
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, message: string) => this.apply(channel, message));
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
    this.subscriber.disconnect();
  }

  private async reload(event: CatalogEvent, key: string, entry: Entry): Promise<Availability> {
    const channel = this.options.channel(key);
    if (!this.keysByChannel.has(channel)) {
      // Subscribed before the first read, so no change between the read and the subscription is lost.
      const subscribed = await this.subscriber.subscribe(channel).then(
        () => true,
        () => false,
      );
      if (subscribed) this.keysByChannel.set(channel, key);
    }
    const availability = await this.options.load(event);
    entry.availability = availability;
    entry.loadedAt = this.keysByChannel.has(channel) ? Date.now() : 0;
    return availability;
  }

  /** An allocator's message `{ shard, remaining: { [ticketType]: n } }` after a batch of its shard. */
  private apply(channel: string, message: string): void {
    const key = this.keysByChannel.get(channel);
    const availability = key === undefined ? undefined : this.entries.get(key)?.availability;
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

import type pg from 'pg';

interface ShardSample {
  at: number;
  /** Per shard: held + sold (what changes when it allocates) and whether it still has stock. */
  shards: Map<number, { allocated: number; hasStock: boolean }>;
}

/**
 * Samples the committed counters of every shard of an event a few times a second while the sale
 * runs: when a shard stopped allocating, from the source of truth (the orders' own timestamps are
 * when the allocator began the attempt, which hides a wait for a lock).
 */
export class ShardWatch {
  private readonly samples: ShardSample[] = [];
  private readonly timer: NodeJS.Timeout;
  private busy = false;

  constructor(pool: pg.Pool, eventId: string, intervalMs = 250) {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      pool
        .query<{ shard: number; allocated: number; has_stock: boolean }>(
          `SELECT shard, sum(held + sold)::int AS allocated, bool_or(held + sold < capacity) AS has_stock
           FROM inventory_shards WHERE event_id = $1 GROUP BY shard`,
          [eventId],
        )
        .then(({ rows }) =>
          this.samples.push({
            at: Date.now(),
            shards: new Map(rows.map((r) => [r.shard, { allocated: r.allocated, hasStock: r.has_stock }])),
          }),
        )
        .catch(() => undefined) // PostgreSQL itself may be the fault; a missing sample is a gap
        .finally(() => (this.busy = false));
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * The longest time in [from, until] during which a shard that still had stock allocated nothing
   * (no change of its held + sold), over every shard.
   */
  longestStallSeconds(from: number, until: number): number {
    return longestStall(this.samples, from, until) / 1000;
  }
}

export function longestStall(samples: ShardSample[], from: number, until: number): number {
  const window = samples.filter((s) => s.at >= from && s.at <= until);
  const shards = new Set(window.flatMap((s) => [...s.shards.keys()]));
  let longest = 0;
  for (const shard of shards) {
    let since = from;
    let last: number | undefined;
    for (const sample of window) {
      const state = sample.shards.get(shard);
      if (!state) continue;
      // A change seen in this sample happened since the previous one: the stall lasted until here.
      longest = Math.max(longest, sample.at - since);
      if (last !== undefined && state.allocated !== last) since = sample.at;
      last = state.allocated;
      if (!state.hasStock) break;
    }
  }
  return longest;
}

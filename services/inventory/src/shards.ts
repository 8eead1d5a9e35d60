/**
 * Splits a ticket type's capacity over `shards` shards. Remainder rule: the first
 * `capacity % shards` shards get one ticket more, so shard sizes differ by at most one and the
 * split is the same wherever it is computed.
 */
export function splitCapacity(capacity: number, shards: number): number[] {
  if (!Number.isInteger(capacity) || capacity < 0)
    throw new RangeError(`capacity must be a non-negative integer, got ${capacity}`);
  if (!Number.isInteger(shards) || shards < 1)
    throw new RangeError(`shards must be a positive integer, got ${shards}`);
  const base = Math.floor(capacity / shards);
  const extra = capacity % shards;
  return Array.from({ length: shards }, (_, shard) => base + (shard < extra ? 1 : 0));
}

export interface ShardAllocation {
  /** held + sold on the shard: seats that cannot be taken away. */
  allocated: number;
}

export class CapacityBelowAllocatedError extends Error {
  override name = 'CapacityBelowAllocatedError';
  readonly requested: number;
  readonly allocated: number;

  constructor(requested: number, allocated: number) {
    super(`capacity ${requested} is below the ${allocated} tickets already held or sold`);
    this.requested = requested;
    this.allocated = allocated;
  }
}

/**
 * New per-shard capacities when a ticket type's total capacity or the shard count changes:
 * every shard keeps what it has allocated, and the unallocated stock is split evenly over all
 * shards (new ones included) so routing finds stock everywhere. Refuses a total below what is
 * already held or sold.
 */
export function resizeShards(
  current: ShardAllocation[],
  newCapacity: number,
  newShardCount: number,
): number[] {
  if (!Number.isInteger(newCapacity) || newCapacity < 0)
    throw new RangeError(`capacity must be a non-negative integer, got ${newCapacity}`);
  if (!Number.isInteger(newShardCount) || newShardCount < 1)
    throw new RangeError(`shards must be a positive integer, got ${newShardCount}`);
  if (newShardCount < current.length) throw new RangeError('the number of shards never decreases');
  const allocated = Array.from({ length: newShardCount }, (_, shard) => current[shard]?.allocated ?? 0);
  const totalAllocated = allocated.reduce((sum, n) => sum + n, 0);
  if (newCapacity < totalAllocated) throw new CapacityBelowAllocatedError(newCapacity, totalAllocated);
  const free = splitCapacity(newCapacity - totalAllocated, newShardCount);
  return allocated.map((n, shard) => n + free[shard]!);
}

/**
 * The one rule for where a purchase goes: a shard with enough stock for it, chosen with
 * probability proportional to its stock. Proportional rather than "the fullest" so that many
 * requests at once spread over the shards in step with what each has left, instead of all piling
 * onto one (which then runs dry and forwards them on). purchase-api applies it to a new request
 * (stock from its availability view); the allocator applies it to a request its shard is sold out
 * for (stock from the other shards' counters, the shards already tried excluded). The figures are
 * hints either way: the chosen shard decides against PostgreSQL.
 *
 * `remaining[k]` is shard k's stock for the request's ticket type (`undefined`: not known);
 * `random` returns a number in [0, 1) and is injected so tests can pin the choice.
 */
export function chooseShard(
  remaining: readonly (number | undefined)[],
  quantity: number,
  options: { random: () => number; exclude?: Iterable<number> },
): number | undefined {
  const excluded = new Set(options.exclude ?? []);
  const candidates: { shard: number; stock: number }[] = [];
  remaining.forEach((stock, shard) => {
    if (stock !== undefined && stock >= quantity && stock > 0 && !excluded.has(shard))
      candidates.push({ shard, stock });
  });
  const total = candidates.reduce((sum, c) => sum + c.stock, 0);
  if (total === 0) return undefined;
  let point = options.random() * total;
  for (const candidate of candidates) {
    point -= candidate.stock;
    if (point < 0) return candidate.shard;
  }
  // Only reached when random() returns 1 or rounding leaves a sliver: the last shard owns the end.
  return candidates.at(-1)!.shard;
}

/**
 * What `isolateRefused` found: the groups applied (in order, each with the index of its first
 * item), and the items refused on their own.
 */
export interface Isolation<T, R> {
  applied: { offset: number; items: T[]; result: R }[];
  refused: { index: number; item: T; error: unknown }[];
}

/**
 * Applies `items` in order, one `apply` call (one transaction) per group. When a group is refused
 * for a reason tied to its content, it is split in halves, applied one after the other, until each
 * refused item stands alone: every other item is applied, still in arrival order, and a batch with
 * one bad command costs about 2·log2(n) extra transactions instead of the shard. Errors that are
 * not refusals (the database is down) propagate: they say nothing about the items.
 */
export async function isolateRefused<T, R>(
  items: readonly T[],
  apply: (items: T[]) => Promise<R>,
  isRefusal: (error: unknown) => boolean,
): Promise<Isolation<T, R>> {
  const isolation: Isolation<T, R> = { applied: [], refused: [] };
  const run = async (offset: number, group: T[]): Promise<void> => {
    try {
      isolation.applied.push({ offset, items: group, result: await apply(group) });
      return;
    } catch (error) {
      if (!isRefusal(error)) throw error;
      if (group.length === 1) {
        isolation.refused.push({ index: offset, item: group[0]!, error });
        return;
      }
    }
    const half = Math.ceil(group.length / 2);
    await run(offset, group.slice(0, half));
    await run(offset + half, group.slice(half));
  };
  if (items.length > 0) await run(0, [...items]);
  return isolation;
}

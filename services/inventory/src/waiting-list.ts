/**
 * The waiting list of a sold-out ticket type. Each entry lives on one shard, chosen when the buyer
 * joins (`waitingListShard`), and only that shard's writer changes it: joining and leaving are
 * commands on the shard's partition like every other change of a shard, applied in the order the
 * partition delivers them. That order is the order of joining, and seats freed on the shard (a hold
 * that expires or is released, capacity that grows) go to its entries in that order
 * (`pickOffers`), as a hold made in the same transaction that freed them: no other writer can see
 * the seats in between, so no seat is offered twice and none is lost.
 */
export const WaitingStatus = {
  Waiting: 'WAITING',
  /** Turned into a hold (the order with the entry's id). */
  Offered: 'OFFERED',
  Left: 'LEFT',
} as const;
export type WaitingStatus = (typeof WaitingStatus)[keyof typeof WaitingStatus];

export interface WaitingEntry {
  /** Also the id of the hold it is offered as: an entry gets at most one offer. */
  id: string;
  buyerId: string;
  ticketType: string;
  quantity: number;
  shard: number;
  /** Arrival order on the shard (the partition's order), assigned by its writer; smaller first. */
  seq: number;
  status: WaitingStatus;
  joinedAt: string;
  updatedAt: string;
  /** The sales channel the offer's order is sold through (`online` when absent). */
  channel?: string;
}

/** The Idempotency-Key of the hold an entry is offered as (orders are unique by buyer and key). */
export const offerIdempotencyKey = (entryId: string): string => `waiting-list:${entryId}`;

/** One shard of a ticket type as a joining buyer sees it. */
export interface WaitingShard {
  capacity: number;
  /** Tickets its WAITING entries ask for. */
  waitingTickets: number;
}

/**
 * Which shard's waiting list a new entry joins: the one where the tickets already waiting are the
 * smallest share of the shard's capacity (seats come back in proportion to what a shard holds and
 * sells), so every shard's list is about as long as its share and an entry's wait depends little on
 * the shard it got. A shard too small for the quantity is passed over while another can hold it (when
 * none can, any may: capacity can grow). Ties are broken at random
 * (`random` in [0, 1)): the figures are read before the joins in flight are applied, so a burst of
 * joins that all see the same loads spreads over the shards instead of all joining the first.
 * `undefined`: the ticket type has no shards.
 */
export function waitingListShard(
  shards: readonly (WaitingShard | undefined)[],
  quantity: number,
  random: () => number = Math.random,
): number | undefined {
  let best: number[] = [];
  let bestLoad = Infinity;
  const fits = shards.some((s) => s && s.capacity >= quantity);
  shards.forEach((s, shard) => {
    if (!s || (fits && s.capacity < quantity)) return;
    const load = (s.waitingTickets + quantity) / Math.max(1, s.capacity);
    if (load < bestLoad) [best, bestLoad] = [[shard], load];
    else if (load === bestLoad) best.push(shard);
  });
  if (best.length === 0) return undefined;
  return best[Math.min(best.length - 1, Math.floor(random() * best.length))];
}

/**
 * The entries that get a shard's `remaining` seats, in order of joining: each in turn, if its
 * quantity fits what is left and its buyer has room under the per-buyer limit (`room`), takes its
 * quantity; an entry that does not fit keeps its place for the next seats. Pure: `entries` are the
 * shard's WAITING entries of one ticket type, sorted by `seq`.
 */
export function pickOffers(
  remaining: number,
  entries: readonly WaitingEntry[],
  room: (buyerId: string) => number,
): WaitingEntry[] {
  const picked: WaitingEntry[] = [];
  const taken = new Map<string, number>();
  let left = remaining;
  for (const entry of entries) {
    if (left <= 0) break;
    if (entry.status !== WaitingStatus.Waiting || entry.quantity > left) continue;
    const already = taken.get(entry.buyerId) ?? 0;
    if (entry.quantity > room(entry.buyerId) - already) continue;
    picked.push(entry);
    taken.set(entry.buyerId, already + entry.quantity);
    left -= entry.quantity;
  }
  return picked;
}

/**
 * An entry's place in its shard's list: 1 + the WAITING entries of the same ticket type that joined
 * that shard before it.
 */
export function waitingPosition(entry: Pick<WaitingEntry, 'seq'>, aheadSeqs: Iterable<number>): number {
  let ahead = 0;
  for (const seq of aheadSeqs) if (seq < entry.seq) ahead++;
  return ahead + 1;
}

/** Why a buyer may not join (checked by purchase-api; the shard re-checks what it can). */
export type JoinRefusal = 'not_sold_out' | 'over_limit' | 'limit_reached' | 'already_waiting' | 'offered';

/**
 * Whether a buyer may join: only once a purchase of that quantity would be sold out everywhere
 * (`remaining` per shard), within the per-buyer limit counting what the buyer holds or bought
 * (`active`), and with no entry of theirs for the type still waiting or offered as a hold.
 */
export function joinRefusal(input: {
  remaining: readonly number[];
  quantity: number;
  perBuyerLimit: number;
  active: number;
  current?: { status: WaitingStatus; offerHeld: boolean };
}): JoinRefusal | undefined {
  if (input.quantity > input.perBuyerLimit) return 'over_limit';
  if (input.current?.status === WaitingStatus.Waiting) return 'already_waiting';
  if (input.current?.status === WaitingStatus.Offered && input.current.offerHeld) return 'offered';
  if (input.remaining.some((stock) => stock >= input.quantity)) return 'not_sold_out';
  if (input.active + input.quantity > input.perBuyerLimit) return 'limit_reached';
  return undefined;
}

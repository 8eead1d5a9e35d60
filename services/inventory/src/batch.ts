import type { ShardCommand } from './messages.ts';
import { countsTowardLimit, occupancy, OrderStatus, type Order, type Ticket } from './orders.ts';
import { offerIdempotencyKey, pickOffers, WaitingStatus, type WaitingEntry } from './waiting-list.ts';

export interface Counter {
  capacity: number;
  held: number;
  sold: number;
}

/**
 * What one shard's writer knows when it applies a batch: the shard's counters, the orders the
 * batch refers to (and those with the same idempotency keys), the buyers' active quantities for
 * the whole event, and provider events already processed.
 */
export interface ShardState {
  counters: Map<string, Counter>;
  orders: Map<string, Order>;
  /** `${buyerId}\n${idempotencyKey}` → order id. */
  idempotency: Map<string, string>;
  buyerQuantities: Map<string, number>;
  processedPayments: Set<string>;
  /**
   * Ids the batch names that belong to orders of other events: a purchase may not take one (the id
   * is the order's primary key), and a lifecycle command naming one is not about this event.
   */
  foreignOrderIds: Set<string>;
  /**
   * This shard's WAITING entries of the ticket types the batch may serve, each list in joining
   * order (`seq`). The buyers of these entries must be in `buyerQuantities` (locked) like any other.
   */
  waiting: Map<string, WaitingEntry[]>;
  /** The event's entries the batch's waiting-list commands name (any shard, any status), by id. */
  entries: Map<string, WaitingEntry>;
  /** `waitingBuyerKey`s of the joining buyers' WAITING entries on any shard: one per buyer and type. */
  waitingBuyers: Set<string>;
  /** The last `seq` this shard gave an entry. */
  lastWaitingSeq: number;
  /**
   * Ticket types whose list in `waiting` is only its head (the store reads a bounded number): a join
   * of such a type waits behind entries this batch did not read, so this batch does not serve it.
   */
  waitingCut?: Set<string>;
}

/** The key of `ShardState.waitingBuyers`. */
export const waitingBuyerKey = (ticketType: string, buyerId: string): string => `${ticketType}\n${buyerId}`;

export interface BatchContext {
  shard: number;
  now: Date;
  holdTtlSeconds: number;
  perBuyerLimit: number;
  prices: Map<string, { priceMinor: number; currency: string }>;
  newTicketCode: () => string;
}

/**
 * Why a purchase got no hold. `cannot_apply`: the database refused the command itself (see
 * `refusedCommandFate`); `order_id_taken`: its order id is another event's order.
 */
export type RejectReason =
  | 'sold_out'
  | 'limit_reached'
  | 'unknown_ticket_type'
  | 'order_id_taken'
  | 'cannot_apply'
  /** A join by a buyer who already has a WAITING entry for the type. */
  | 'already_waiting';
/**
 * Why a lifecycle command changed nothing. Some are the ordinary late arrival of a command whose
 * work is done (`not_held`, `not_due`, `duplicate_payment`); the others mean the command can never
 * apply here, and `settleBatch` dead-letters them.
 */
export type IgnoreReason =
  | 'unknown_order'
  | 'not_owner'
  | 'not_held'
  | 'not_due'
  | 'duplicate_payment'
  | 'amount_mismatch'
  | 'unknown_ticket_type'
  | 'cannot_apply'
  | 'unknown_entry'
  | 'not_waiting'
  | 'duplicate_entry';

export type Outcome =
  | {
      orderId: string;
      kind: 'held' | 'confirmed' | 'released' | 'expired' | 'refund_required';
      order: Order;
      tickets?: Ticket[];
    }
  | { orderId: string; kind: 'duplicate'; order: Order }
  | { orderId: string; kind: 'rejected'; reason: RejectReason }
  /**
   * `current`: the order a lifecycle command found already past it (`not_held`, `duplicate_payment`),
   * as it stands: what the command's first application made of it (`reannouncement`).
   */
  | { orderId: string; kind: 'ignored'; reason: IgnoreReason; current?: Order }
  /** A waiting-list entry made (`entry.status` OFFERED if seats were there for it at once). */
  | { orderId: string; kind: 'joined'; entry: WaitingEntry }
  | { orderId: string; kind: 'left'; entry: WaitingEntry }
  /** A `waiting-list.serve` and the holds it offered. */
  | { orderId: string; kind: 'served'; offers: number };

export interface BatchResult {
  state: ShardState;
  outcomes: Outcome[];
  /** Orders created or changed by the batch, to be written. */
  changedOrders: Order[];
  tickets: Ticket[];
  /** Holds the batch offered to waiting buyers (also in `changedOrders`), in the order made. */
  offers: Order[];
  /** Waiting-list entries created or changed by the batch, to be written. */
  changedEntries: WaitingEntry[];
}

/** The key of `ShardState.idempotency`: one order per buyer and Idempotency-Key. */
export const idempotencyIndexKey = (buyerId: string, key: string): string => `${buyerId}\n${key}`;

/**
 * Applies a batch of commands to one shard in arrival order and returns one outcome per command.
 * Pure: the caller loads the state in one transaction, writes the result, and commits. Applying
 * the same command twice is harmless (duplicates are recognised by order id, idempotency key,
 * order status and provider event id), which is what makes Kafka redelivery safe.
 */
export function applyBatch(initial: ShardState, commands: ShardCommand[], ctx: BatchContext): BatchResult {
  const state: ShardState = structuredClone(initial);
  const changed = new Map<string, Order>();
  const tickets: Ticket[] = [];
  const offers: Order[] = [];
  const changedEntries = new Map<string, WaitingEntry>();
  /** Ticket types the current command freed seats of (or added a waiting entry to): served after it. */
  const toServe = new Set<string>();
  const now = ctx.now.toISOString();

  const counterFor = (order: Order): Counter => {
    const counter = state.counters.get(order.ticketType);
    if (!counter)
      throw new Error(`shard ${ctx.shard} has no counter for ${order.ticketType} (order ${order.id})`);
    return counter;
  };
  /** Moves an order to a new status, keeping counters and buyer quantities in step. */
  const transition = (order: Order, status: OrderStatus): Order => {
    const before = occupancy(order);
    const next: Order = { ...order, status, updatedAt: now };
    const after = occupancy(next);
    if (after.held !== before.held || after.sold !== before.sold) {
      const counter = counterFor(order);
      counter.held += after.held - before.held;
      counter.sold += after.sold - before.sold;
      if (after.held < before.held && after.sold === before.sold) toServe.add(order.ticketType);
    }
    if (countsTowardLimit(order.status) && !countsTowardLimit(status)) {
      state.buyerQuantities.set(
        order.buyerId,
        (state.buyerQuantities.get(order.buyerId) ?? 0) - order.quantity,
      );
    }
    state.orders.set(order.id, next);
    changed.set(order.id, next);
    return next;
  };
  const issueTickets = (order: Order): Ticket[] => {
    const issued = Array.from({ length: order.quantity }, (_, i) => ({
      code: ctx.newTicketCode(),
      orderId: order.id,
      ticketType: order.ticketType,
      seq: i + 1,
    }));
    tickets.push(...issued);
    return issued;
  };
  const expired = (order: Order): boolean => Date.parse(order.expiresAt) <= ctx.now.getTime();
  /**
   * A hold whose ticket type has no counter on this shard (its inventory rows are gone) cannot
   * move: changing it would leave the seats unaccounted for. Checked before any change is made.
   */
  const stranded = (order: Order): boolean =>
    order.status === OrderStatus.Held && !state.counters.has(order.ticketType);
  /**
   * Purchases this batch turned down, by order id. A copy delivered twice in one batch gets the
   * first answer again: without this, seats freed between the copies would hold an order whose
   * requester was already told "sold out" (and it may have been forwarded to another shard).
   */
  const rejectedHere = new Map<string, RejectReason>();
  const reject = (orderId: string, reason: RejectReason): Outcome => {
    rejectedHere.set(orderId, reason);
    return { orderId, kind: 'rejected', reason };
  };

  const changeEntry = (entry: WaitingEntry, status: WaitingStatus): WaitingEntry => {
    const next: WaitingEntry = { ...entry, status, updatedAt: now };
    state.entries.set(next.id, next);
    changedEntries.set(next.id, next);
    if (status !== WaitingStatus.Waiting) {
      const list = state.waiting.get(entry.ticketType) ?? [];
      state.waiting.set(
        entry.ticketType,
        list.filter((e) => e.id !== entry.id),
      );
      state.waitingBuyers.delete(waitingBuyerKey(entry.ticketType, entry.buyerId));
    }
    return next;
  };
  /**
   * Offers what the shard has left of a ticket type to its waiting list, in order of joining: each
   * entry served becomes a hold with the entry's id, made here, so the freed seats never show as
   * stock another buyer could take in between. Returns how many holds it made.
   */
  const serve = (ticketType: string): number => {
    const counter = state.counters.get(ticketType);
    const price = ctx.prices.get(ticketType);
    const list = state.waiting.get(ticketType) ?? [];
    if (!counter || !price || list.length === 0) return 0;
    const picked = pickOffers(
      counter.capacity - counter.held - counter.sold,
      list,
      (buyer) => ctx.perBuyerLimit - (state.buyerQuantities.get(buyer) ?? 0),
    ).filter((entry) => !state.orders.has(entry.id) && !state.foreignOrderIds.has(entry.id));
    for (const entry of picked) {
      const held: Order = {
        id: entry.id,
        buyerId: entry.buyerId,
        ticketType,
        quantity: entry.quantity,
        idempotencyKey: offerIdempotencyKey(entry.id),
        shard: ctx.shard,
        status: OrderStatus.Held,
        amountMinor: price.priceMinor * entry.quantity,
        currency: price.currency,
        createdAt: now,
        expiresAt: new Date(ctx.now.getTime() + ctx.holdTtlSeconds * 1000).toISOString(),
        updatedAt: now,
        ...(entry.channel ? { channel: entry.channel } : {}),
      };
      counter.held += held.quantity;
      state.buyerQuantities.set(
        entry.buyerId,
        (state.buyerQuantities.get(entry.buyerId) ?? 0) + held.quantity,
      );
      state.orders.set(held.id, held);
      state.idempotency.set(idempotencyIndexKey(held.buyerId, held.idempotencyKey), held.id);
      changed.set(held.id, held);
      changeEntry(entry, WaitingStatus.Offered);
      if (held.amountMinor === 0) {
        const confirmed = transition(held, OrderStatus.Confirmed);
        issueTickets(confirmed);
        offers.push(confirmed);
      } else offers.push(held);
    }
    return picked.length;
  };

  const apply = (command: ShardCommand): Outcome => {
    const known = state.orders.get(command.orderId);
    // Lifecycle commands act only on this shard's orders (a misrouted one must not move counters).
    const existing = command.kind === 'purchase.requested' || known?.shard === ctx.shard ? known : undefined;
    switch (command.kind) {
      case 'purchase.requested': {
        if (existing) return { orderId: command.orderId, kind: 'duplicate', order: existing };
        const earlier = rejectedHere.get(command.orderId);
        if (earlier) return { orderId: command.orderId, kind: 'rejected', reason: earlier };
        if (state.foreignOrderIds.has(command.orderId)) return reject(command.orderId, 'order_id_taken');
        const sameKey = state.idempotency.get(idempotencyIndexKey(command.buyerId, command.idempotencyKey));
        if (sameKey)
          return { orderId: command.orderId, kind: 'duplicate', order: state.orders.get(sameKey)! };
        const counter = state.counters.get(command.ticketType);
        const price = ctx.prices.get(command.ticketType);
        if (!counter || !price) return reject(command.orderId, 'unknown_ticket_type');
        const active = state.buyerQuantities.get(command.buyerId) ?? 0;
        if (active + command.quantity > ctx.perBuyerLimit) return reject(command.orderId, 'limit_reached');
        if (counter.capacity - counter.held - counter.sold < command.quantity)
          return reject(command.orderId, 'sold_out');
        const held: Order = {
          id: command.orderId,
          buyerId: command.buyerId,
          ticketType: command.ticketType,
          quantity: command.quantity,
          idempotencyKey: command.idempotencyKey,
          shard: ctx.shard,
          status: OrderStatus.Held,
          amountMinor: price.priceMinor * command.quantity,
          currency: price.currency,
          createdAt: now,
          expiresAt: new Date(ctx.now.getTime() + ctx.holdTtlSeconds * 1000).toISOString(),
          updatedAt: now,
          ...(command.channel ? { channel: command.channel } : {}),
        };
        counter.held += held.quantity;
        state.buyerQuantities.set(command.buyerId, active + command.quantity);
        state.orders.set(held.id, held);
        state.idempotency.set(idempotencyIndexKey(command.buyerId, command.idempotencyKey), held.id);
        changed.set(held.id, held);
        // Free tickets need no payment: they are confirmed at once.
        if (held.amountMinor === 0) {
          const confirmed = transition(held, OrderStatus.Confirmed);
          return { orderId: held.id, kind: 'confirmed', order: confirmed, tickets: issueTickets(confirmed) };
        }
        return { orderId: held.id, kind: 'held', order: held };
      }
      case 'release.requested': {
        if (!existing) return { orderId: command.orderId, kind: 'ignored', reason: 'unknown_order' };
        if (existing.buyerId !== command.buyerId)
          return { orderId: command.orderId, kind: 'ignored', reason: 'not_owner' };
        if (existing.status !== OrderStatus.Held)
          return { orderId: command.orderId, kind: 'ignored', reason: 'not_held', current: existing };
        if (stranded(existing))
          return { orderId: command.orderId, kind: 'ignored', reason: 'unknown_ticket_type' };
        return {
          orderId: command.orderId,
          kind: 'released',
          order: transition(existing, OrderStatus.Released),
        };
      }
      case 'hold.expire': {
        if (!existing) return { orderId: command.orderId, kind: 'ignored', reason: 'unknown_order' };
        if (existing.status !== OrderStatus.Held)
          return { orderId: command.orderId, kind: 'ignored', reason: 'not_held', current: existing };
        if (!expired(existing)) return { orderId: command.orderId, kind: 'ignored', reason: 'not_due' };
        if (stranded(existing))
          return { orderId: command.orderId, kind: 'ignored', reason: 'unknown_ticket_type' };
        return {
          orderId: command.orderId,
          kind: 'expired',
          order: transition(existing, OrderStatus.Expired),
        };
      }
      case 'payment.confirmed':
      case 'payment.failed': {
        if (state.processedPayments.has(command.providerEventId)) {
          return {
            orderId: command.orderId,
            kind: 'ignored',
            reason: 'duplicate_payment',
            ...(existing ? { current: existing } : {}),
          };
        }
        if (!existing) return { orderId: command.orderId, kind: 'ignored', reason: 'unknown_order' };
        // Not recorded as processed: the payment can be applied once the inventory is repaired.
        if (stranded(existing))
          return { orderId: command.orderId, kind: 'ignored', reason: 'unknown_ticket_type' };
        state.processedPayments.add(command.providerEventId);
        let order = existing;
        // A hold past its expiry is expired first, even if the sweeper has not got to it yet.
        if (order.status === OrderStatus.Held && expired(order))
          order = transition(order, OrderStatus.Expired);
        if (command.kind === 'payment.failed') {
          if (order.status === OrderStatus.Held)
            return { orderId: order.id, kind: 'released', order: transition(order, OrderStatus.Released) };
          // An outcome of "ignored" must mean nothing changed: report the expiry this command made.
          if (order !== existing) return { orderId: order.id, kind: 'expired', order };
          return { orderId: order.id, kind: 'ignored', reason: 'not_held', current: existing };
        }
        if (order.status === OrderStatus.Expired || order.status === OrderStatus.Released) {
          return {
            orderId: order.id,
            kind: 'refund_required',
            order: transition(order, OrderStatus.RefundRequired),
          };
        }
        if (order.status !== OrderStatus.Held)
          return { orderId: order.id, kind: 'ignored', reason: 'not_held', current: existing };
        if (command.amountMinor !== order.amountMinor || command.currency !== order.currency) {
          return { orderId: order.id, kind: 'ignored', reason: 'amount_mismatch' };
        }
        const confirmed = transition(order, OrderStatus.Confirmed);
        return { orderId: order.id, kind: 'confirmed', order: confirmed, tickets: issueTickets(confirmed) };
      }
      case 'waiting-list.join': {
        const earlier = rejectedHere.get(command.orderId);
        if (earlier) return { orderId: command.orderId, kind: 'rejected', reason: earlier };
        if (state.entries.has(command.orderId))
          return { orderId: command.orderId, kind: 'ignored', reason: 'duplicate_entry' };
        if (state.orders.has(command.orderId) || state.foreignOrderIds.has(command.orderId))
          return reject(command.orderId, 'order_id_taken');
        if (!state.counters.has(command.ticketType) || !ctx.prices.has(command.ticketType))
          return reject(command.orderId, 'unknown_ticket_type');
        if (state.waitingBuyers.has(waitingBuyerKey(command.ticketType, command.buyerId)))
          return reject(command.orderId, 'already_waiting');
        if ((state.buyerQuantities.get(command.buyerId) ?? 0) + command.quantity > ctx.perBuyerLimit)
          return reject(command.orderId, 'limit_reached');
        const entry: WaitingEntry = {
          id: command.orderId,
          buyerId: command.buyerId,
          ticketType: command.ticketType,
          quantity: command.quantity,
          shard: ctx.shard,
          seq: ++state.lastWaitingSeq,
          status: WaitingStatus.Waiting,
          joinedAt: now,
          updatedAt: now,
          ...(command.channel ? { channel: command.channel } : {}),
        };
        state.entries.set(entry.id, entry);
        changedEntries.set(entry.id, entry);
        if (!state.waitingCut?.has(entry.ticketType))
          state.waiting.set(entry.ticketType, [...(state.waiting.get(entry.ticketType) ?? []), entry]);
        state.waitingBuyers.add(waitingBuyerKey(entry.ticketType, entry.buyerId));
        // Seats already free on this shard go to the list at once (this entry, if none before it fits).
        toServe.add(entry.ticketType);
        return { orderId: entry.id, kind: 'joined', entry };
      }
      case 'waiting-list.leave': {
        const entry = state.entries.get(command.orderId);
        if (!entry || entry.shard !== ctx.shard)
          return { orderId: command.orderId, kind: 'ignored', reason: 'unknown_entry' };
        if (entry.buyerId !== command.buyerId)
          return { orderId: command.orderId, kind: 'ignored', reason: 'not_owner' };
        if (entry.status !== WaitingStatus.Waiting)
          return { orderId: command.orderId, kind: 'ignored', reason: 'not_waiting' };
        return { orderId: entry.id, kind: 'left', entry: changeEntry(entry, WaitingStatus.Left) };
      }
      case 'waiting-list.serve': {
        if (!state.counters.has(command.ticketType))
          return { orderId: command.orderId, kind: 'ignored', reason: 'unknown_ticket_type' };
        return { orderId: command.orderId, kind: 'served', offers: serve(command.ticketType) };
      }
    }
  };

  /** Each command, then the waiting lists of what it freed, before the next command can take it. */
  const applyAndServe = (command: ShardCommand): Outcome => {
    toServe.clear();
    const outcome = apply(command);
    for (const ticketType of toServe) serve(ticketType);
    toServe.clear();
    // A join served at once reports its entry as it is now (OFFERED).
    if (outcome.kind === 'joined') return { ...outcome, entry: state.entries.get(outcome.orderId)! };
    return outcome;
  };

  const outcomes = commands.map(applyAndServe);
  return {
    state,
    outcomes,
    changedOrders: [...changed.values()],
    tickets,
    offers,
    changedEntries: [...changedEntries.values()],
  };
}

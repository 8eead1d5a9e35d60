/**
 * Every limit PostgreSQL puts on what a TicketEvent turns into, and the spec that would break it.
 * admission.integration.test.ts reads the CHECK constraints and the columns of a migrated database
 * and fails when one is missing here: a new CHECK or column needs a spec the API server refuses
 * (naming the field), or the reason no TicketEvent can reach it.
 */

/** A TicketEvent the API server must refuse; `refusal` is what its message must say. */
export interface AdmissionCase {
  case: string;
  spec?: Record<string, unknown>;
  refusal: RegExp;
}

export type Coverage =
  | { refusedAtAdmission: AdmissionCase[] }
  /** Depends on orders or other state admission cannot see: the operator refuses it. */
  | { refusedByOperator: string }
  | { notFromSpec: string };

const sales = { opensAt: '2027-01-01T00:00:00Z', closesAt: '2027-02-01T00:00:00Z' };
const type = (overrides: Record<string, unknown>) => ({
  ticketTypes: [{ name: 'standard', price: 1, currency: 'EUR', capacity: 5, ...overrides }],
});
const INT_MAX_PLUS_ONE = 2 ** 31;
/** 2^63 is exact as a double, and one above the largest bigint. */
const BIGINT_MAX_PLUS_ONE = 2 ** 63;

const refused = (...cases: AdmissionCase[]): Coverage => ({ refusedAtAdmission: cases });
const notFromSpec = (why: string): Coverage => ({ notFromSpec: why });

const c = {
  closesBeforeOpens: {
    case: 'a sale that closes before it opens',
    spec: { sales: { opensAt: '2027-02-01T00:00:00Z', closesAt: '2027-01-01T00:00:00Z' } },
    refusal: /spec\.sales\.closesAt must be at least 1s after spec\.sales\.opensAt/,
  },
  closesWithinTheMillisecond: {
    // CEL sees nanoseconds; the operator keeps milliseconds, PostgreSQL microseconds.
    case: 'a sale that closes a fraction of a millisecond after it opens',
    spec: { sales: { opensAt: '2027-01-01T00:00:00.0001Z', closesAt: '2027-01-01T00:00:00.0009Z' } },
    refusal: /spec\.sales\.closesAt must be at least 1s after spec\.sales\.opensAt/,
  },
  zeroHoldTtl: {
    case: 'a hold TTL of 0s',
    spec: { sales: { ...sales, holdTtl: '0s' } },
    refusal: /spec\.sales\.holdTtl must be between 1s and 24h/,
  },
  zeroHoldTtlSpelledOut: {
    case: 'a hold TTL of 0h0m0s',
    spec: { sales: { ...sales, holdTtl: '0h0m0s' } },
    refusal: /spec\.sales\.holdTtl must be between 1s and 24h/,
  },
  holdTtlBeyondInt: {
    case: 'a hold TTL of 9999999999h (beyond any integer of seconds)',
    spec: { sales: { ...sales, holdTtl: '9999999999h' } },
    refusal: /spec\.sales\.holdTtl/,
  },
  holdTtlJustBeyondInt: {
    case: 'a hold TTL of 596524h (just beyond 2^31 seconds)',
    spec: { sales: { ...sales, holdTtl: '596524h' } },
    refusal: /spec\.sales\.holdTtl must be between 1s and 24h/,
  },
  holdTtlOverADay: {
    case: 'a hold TTL of 24h1s',
    spec: { sales: { ...sales, holdTtl: '24h1s' } },
    refusal: /spec\.sales\.holdTtl must be between 1s and 24h/,
  },
  zeroPerBuyerLimit: {
    case: 'a per-buyer limit of zero',
    spec: { sales: { ...sales, perBuyerLimit: 0 } },
    refusal: /spec\.sales\.perBuyerLimit/,
  },
  perBuyerLimitBeyondInt: {
    case: 'a per-buyer limit of 2^31',
    spec: { sales: { ...sales, perBuyerLimit: INT_MAX_PLUS_ONE } },
    refusal: /spec\.sales\.perBuyerLimit/,
  },
  noShards: { case: 'no shards', spec: { shards: 0 }, refusal: /spec\.shards/ },
  tooManyShards: { case: '257 shards', spec: { shards: 257 }, refusal: /spec\.shards/ },
  shardsBeyondInt: { case: '2^31 shards', spec: { shards: INT_MAX_PLUS_ONE }, refusal: /spec\.shards/ },
  negativeCapacity: {
    case: 'a negative capacity',
    spec: type({ capacity: -5 }),
    refusal: /spec\.ticketTypes\[0\]\.capacity/,
  },
  capacityBeyondInt: {
    case: 'a capacity of 2^31',
    spec: type({ capacity: INT_MAX_PLUS_ONE }),
    refusal: /spec\.ticketTypes\[0\]\.capacity/,
  },
  lowerCaseCurrency: {
    case: 'a lower-case currency',
    spec: type({ currency: 'eur' }),
    refusal: /spec\.ticketTypes\[0\]\.currency/,
  },
  fourLetterCurrency: {
    case: 'a four-letter currency',
    spec: type({ currency: 'EURO' }),
    refusal: /spec\.ticketTypes\[0\]\.currency/,
  },
  negativePrice: {
    case: 'a negative price',
    spec: type({ price: -1 }),
    refusal: /spec\.ticketTypes\[0\]\.price/,
  },
  priceAboveTheLimit: {
    // 10^12 × the largest per-buyer limit still fits an order amount (bigint), exactly in JSON.
    case: 'a price above 10^12 minor units',
    spec: type({ price: 1_000_000_000_001 }),
    refusal: /spec\.ticketTypes\[0\]\.price/,
  },
  priceBeyondBigint: {
    case: 'a price of 2^63',
    spec: type({ price: BIGINT_MAX_PLUS_ONE }),
    refusal: /spec\.ticketTypes\[0\]\.price/,
  },
  nulInTicketTypeName: {
    case: 'a NUL character in a ticket type name',
    spec: type({ name: 'a\u0000b' }),
    refusal: /spec\.ticketTypes\[0\]\.name/,
  },
  noDisplayName: {
    case: 'no display name',
    spec: { displayName: undefined },
    refusal: /spec\.displayName: Required value/,
  },
  nulInDisplayName: {
    case: 'a NUL character in the display name',
    spec: { displayName: 'Gala\u0000' },
    refusal: /spec\.displayName must not contain NUL characters/,
  },
  nulInVenue: {
    case: 'a NUL character in the venue',
    spec: { venue: 'Hall\u0000' },
    refusal: /spec\.venue must not contain NUL characters/,
  },
  noStart: {
    case: 'no start time',
    spec: { startsAt: undefined },
    refusal: /spec\.startsAt: Required value/,
  },
  startInYearZero: {
    case: 'a start in year 0000',
    spec: { startsAt: '0000-01-01T00:00:00Z' },
    refusal: /spec\.startsAt must be an RFC 3339 time/,
  },
  opensInYearZero: {
    case: 'a sale opening in year 0000',
    spec: { sales: { ...sales, opensAt: '0000-01-01T00:00:00Z' } },
    refusal: /spec\.sales\.opensAt must be an RFC 3339 time/,
  },
  closesInLowerCase: {
    // The schema's date-time format takes it; CEL, JavaScript and PostgreSQL need not agree on it.
    case: 'a closing time written in lower case',
    spec: { sales: { ...sales, closesAt: '2027-02-01t00:00:00z' } },
    refusal: /spec\.sales\.closesAt/,
  },
  pausedNotBoolean: { case: 'paused: "yes"', spec: { paused: 'yes' }, refusal: /spec\.paused/ },
} satisfies Record<string, AdmissionCase>;

const fromBuyerRequests = notFromSpec('written by the purchase path from buyer requests and payments');
const systemColumn = notFromSpec('set by the database or by provisioning, never from the spec');
const allocatorCounter = notFromSpec('a counter the allocator keeps');
const expirySweep = notFromSpec("the expiry sweeper's position, kept by purchase-api");
const checkin = notFromSpec('written by check-in at the door (query-api) for an issued ticket');
const waitingList = notFromSpec(
  "a buyer's waiting-list entry, written by the shard's allocator from a join command (purchase-api validates it)",
);
const salesProjection = notFromSpec(
  'the analytics projection of the order-events topic (services/analytics)',
);

/** Every CHECK constraint of services/store/migrations, by its PostgreSQL name. */
export const CHECKS: Record<string, Coverage> = {
  events_check: refused(c.closesBeforeOpens, c.closesWithinTheMillisecond),
  events_hold_ttl_seconds_check: refused(c.zeroHoldTtl, c.zeroHoldTtlSpelledOut),
  events_per_buyer_limit_check: refused(c.zeroPerBuyerLimit),
  events_shards_check: refused(c.noShards, c.tooManyShards),
  ticket_types_capacity_check: refused(c.negativeCapacity),
  ticket_types_currency_check: refused(c.lowerCaseCurrency, c.fourLetterCurrency),
  ticket_types_price_minor_check: refused(c.negativePrice),
  inventory_shards_capacity_check: refused(c.negativeCapacity),
  inventory_shards_check: {
    refusedByOperator:
      'held + sold <= capacity: a capacity below what is held or sold depends on orders; the operator refuses it with CapacityBelowAllocated (edits.integration.test.ts)',
  },
  inventory_shards_held_check: allocatorCounter,
  inventory_shards_sold_check: allocatorCounter,
  inventory_shards_shard_check: notFromSpec('shard indexes 0..shards-1 are computed by provisioning'),
  orders_amount_minor_check: refused(c.negativePrice),
  orders_check: fromBuyerRequests,
  orders_quantity_check: fromBuyerRequests,
  orders_status_check: fromBuyerRequests,
  tickets_seq_check: fromBuyerRequests,
  buyer_quantities_quantity_check: fromBuyerRequests,
  hold_expiry_sweep_singleton_check: expirySweep,
  orders_channel_check: notFromSpec('a sales channel from a token claim purchase-api accepts from its list'),
  waiting_list_channel_check: waitingList,
  waiting_list_quantity_check: waitingList,
  waiting_list_shard_check: waitingList,
  waiting_list_status_check: waitingList,
};

/** Every column (its type is its limit: integer range, char(n), timestamp range, text without NUL). */
export const COLUMNS: Record<string, Coverage> = {
  'events.id': systemColumn,
  'events.namespace': notFromSpec('the Kubernetes namespace, a DNS label the API server checks'),
  'events.name': notFromSpec(
    'metadata.name, a DNS subdomain the API server checks (the CRD caps it at 63 characters for labels)',
  ),
  'events.display_name': refused(c.noDisplayName, c.nulInDisplayName),
  'events.venue': refused(c.nulInVenue),
  'events.starts_at': refused(c.noStart, c.startInYearZero),
  'events.sales_open_at': refused(c.opensInYearZero),
  'events.sales_close_at': refused(c.closesInLowerCase),
  'events.per_buyer_limit': refused(c.perBuyerLimitBeyondInt),
  'events.hold_ttl_seconds': refused(c.holdTtlBeyondInt, c.holdTtlJustBeyondInt),
  'events.shards': refused(c.shardsBeyondInt),
  'events.paused': refused(c.pausedNotBoolean),
  'events.closed_at': systemColumn,
  'events.created_at': systemColumn,
  'events.updated_at': systemColumn,
  'ticket_types.event_id': systemColumn,
  'ticket_types.name': refused(c.nulInTicketTypeName),
  'ticket_types.price_minor': refused(c.priceBeyondBigint),
  'ticket_types.currency': refused(c.fourLetterCurrency),
  'ticket_types.capacity': refused(c.capacityBeyondInt),
  'ticket_types.retired_at': notFromSpec('set by provisioning when a ticket type leaves the spec'),
  'inventory_shards.event_id': systemColumn,
  'inventory_shards.shard': notFromSpec('shard indexes 0..shards-1 are computed by provisioning'),
  'inventory_shards.ticket_type': refused(c.nulInTicketTypeName),
  // A shard holds part of its ticket type's capacity.
  'inventory_shards.capacity': refused(c.capacityBeyondInt),
  'inventory_shards.held': allocatorCounter,
  'inventory_shards.sold': allocatorCounter,
  'orders.id': fromBuyerRequests,
  'orders.event_id': fromBuyerRequests,
  'orders.buyer_id': fromBuyerRequests,
  'orders.ticket_type': fromBuyerRequests,
  'orders.quantity': fromBuyerRequests,
  'orders.idempotency_key': fromBuyerRequests,
  'orders.shard': fromBuyerRequests,
  'orders.status': fromBuyerRequests,
  'orders.reject_reason': fromBuyerRequests,
  // price × quantity, at most 10^12 × 1000.
  'orders.amount_minor': refused(c.priceAboveTheLimit),
  'orders.currency': refused(c.fourLetterCurrency),
  'orders.created_at': fromBuyerRequests,
  // created_at + holdTtl.
  'orders.expires_at': refused(c.holdTtlOverADay),
  'orders.updated_at': fromBuyerRequests,
  'tickets.code': fromBuyerRequests,
  'tickets.order_id': fromBuyerRequests,
  'tickets.ticket_type': fromBuyerRequests,
  'tickets.seq': fromBuyerRequests,
  'tickets.issued_at': fromBuyerRequests,
  'buyer_quantities.event_id': fromBuyerRequests,
  'buyer_quantities.buyer_id': fromBuyerRequests,
  'buyer_quantities.quantity': fromBuyerRequests,
  'provider_events.provider_event_id': fromBuyerRequests,
  'provider_events.order_id': fromBuyerRequests,
  'provider_events.kind': fromBuyerRequests,
  'provider_events.received_at': fromBuyerRequests,
  'hold_expiry_sweep.singleton': expirySweep,
  'hold_expiry_sweep.after_expires_at': expirySweep,
  'hold_expiry_sweep.after_order_id': expirySweep,
  'hold_expiry_sweep.walk_started_at': expirySweep,
  'orders.channel': notFromSpec('a sales channel from a token claim purchase-api accepts from its list'),
  'sales_applied_events.order_id': salesProjection,
  'sales_applied_events.kind': salesProjection,
  'sales_applied_events.applied_at': salesProjection,
  'sales_by_minute.namespace': salesProjection,
  'sales_by_minute.name': salesProjection,
  'sales_by_minute.ticket_type': salesProjection,
  'sales_by_minute.channel': salesProjection,
  'sales_by_minute.minute': salesProjection,
  'sales_by_minute.currency': salesProjection,
  'sales_by_minute.held': salesProjection,
  'sales_by_minute.confirmed': salesProjection,
  'sales_by_minute.expired': salesProjection,
  'sales_by_minute.released': salesProjection,
  'sales_by_minute.refund_required': salesProjection,
  'sales_by_minute.tickets_sold': salesProjection,
  'sales_by_minute.revenue_minor': salesProjection,
  'sales_rejections_by_minute.namespace': salesProjection,
  'sales_rejections_by_minute.name': salesProjection,
  'sales_rejections_by_minute.ticket_type': salesProjection,
  'sales_rejections_by_minute.channel': salesProjection,
  'sales_rejections_by_minute.minute': salesProjection,
  'sales_rejections_by_minute.reason': salesProjection,
  'sales_rejections_by_minute.orders': salesProjection,
  'ticket_admissions.code': checkin,
  'ticket_admissions.event_id': checkin,
  'ticket_admissions.ticket_type': checkin,
  'ticket_admissions.order_id': checkin,
  'ticket_admissions.scanned_by': checkin,
  'ticket_admissions.admitted_at': checkin,
  'waiting_list.buyer_id': waitingList,
  'waiting_list.channel': waitingList,
  'waiting_list.event_id': waitingList,
  'waiting_list.id': waitingList,
  'waiting_list.joined_at': waitingList,
  'waiting_list.quantity': waitingList,
  'waiting_list.seq': waitingList,
  'waiting_list.shard': waitingList,
  'waiting_list.status': waitingList,
  'waiting_list.ticket_type': waitingList,
  'waiting_list.updated_at': waitingList,
};

/** Each admission case once, with the limits it stands for. */
export function admissionCases(): [string, string, AdmissionCase][] {
  const limits = new Map<AdmissionCase, string[]>();
  for (const [limit, coverage] of [...Object.entries(CHECKS), ...Object.entries(COLUMNS)])
    if ('refusedAtAdmission' in coverage)
      for (const admission of coverage.refusedAtAdmission)
        limits.set(admission, [...(limits.get(admission) ?? []), limit]);
  return [...limits].map(([admission, names]) => [names.join(', '), admission.case, admission]);
}

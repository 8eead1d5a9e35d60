/**
 * The TicketEvent API, from one TypeScript source: the structural schema with a description on
 * every field (for `kubectl explain`), CEL rules whose messages name the field, and the types the
 * operator reads (`TicketEventSpec`, `TicketEventStatus`). `npm run crd` writes
 * operator/crd/ticketevents.boxoffice.dev.yaml from it.
 */
import { array, boolean, enumOf, integer, object, raw, string, withDefault, type TypeOf } from './builder.ts';

/*
 * Limits. Every number and string a TicketEvent carries into PostgreSQL is bounded here, so that a
 * spec the database would refuse is refused at admission instead, with the field named
 * (operator/test/admission.integration.test.ts holds a case for every CHECK and column limit of the
 * migrations).
 */
/** Most minor units per ticket: 10^12 is exact in a JSON number, and 10^12 × perBuyerLimit fits bigint. */
export const MAX_PRICE = 1_000_000_000_000;
export const MAX_CAPACITY = 10_000_000;
export const MAX_SHARDS = 256;
export const MAX_PER_BUYER_LIMIT = 1000;
export const MAX_LAG_THRESHOLD = 1_000_000;
/** Six digits per unit keep CEL's duration() far from overflowing (it parses Go durations, int64 ns). */
const HOLD_TTL_PATTERN = '^([0-9]{1,6}h)?([0-9]{1,6}m)?([0-9]{1,6}s)?$';
export const HOLD_TTL_BOUNDS = { min: '1s', max: '24h' } as const;

/** A CEL rule on the field itself; `message` must name the field (schema.test.ts checks it). */
const rule = (celRule: string, message: string) => ({ rule: celRule, message });

/** PostgreSQL text cannot hold NUL characters. */
const noNul = (field: string) =>
  rule("!self.contains('\\u0000')", `${field} must not contain NUL characters`);

/**
 * An RFC 3339 time that CEL, JavaScript and PostgreSQL read alike: CEL's timestamp() is stricter than
 * the schema's date-time format (which also takes times without a zone), and the year is kept where
 * every one of them counts the same way.
 */
const timestamp = (field: string, description: string) =>
  string(description, {
    format: 'date-time',
    maxLength: 64,
    'x-kubernetes-validations': [
      rule(
        "timestamp(self) >= timestamp('1970-01-01T00:00:00Z')",
        `${field} must be an RFC 3339 time (e.g. 2027-05-01T19:30:00Z) from 1970 on`,
      ),
    ],
  });

const ticketType = object(
  'A kind of ticket with its own price and capacity.',
  {
    name: string('Name of the ticket type, unique within the event (lower-case letters, digits, dashes).', {
      pattern: '^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$',
      maxLength: 32,
    }),
    price: integer(
      'Price in minor units of the currency (e.g. cents), 0 to 10^12; 0 makes the tickets free.',
      { minimum: 0, maximum: MAX_PRICE },
    ),
    currency: string('ISO 4217 currency code, three capital letters.', {
      pattern: '^[A-Z]{3}$',
      maxLength: 3,
    }),
    capacity: integer(
      'Number of tickets of this type, at most 10,000,000; may grow, and may shrink only down to what is held or sold.',
      {
        minimum: 0,
        maximum: MAX_CAPACITY,
      },
    ),
  },
  { required: ['name', 'price', 'currency', 'capacity'] },
);

const sales = object(
  'The sale window and per-buyer rules.',
  {
    opensAt: timestamp('spec.sales.opensAt', 'When buyers may start ordering (RFC 3339).'),
    closesAt: timestamp(
      'spec.sales.closesAt',
      'When the sale closes (RFC 3339); at least a second after opensAt.',
    ),
    perBuyerLimit: withDefault(
      integer('Most tickets one buyer may hold or buy for this event, 1 to 1000.', {
        minimum: 1,
        maximum: MAX_PER_BUYER_LIMIT,
      }),
      4,
    ),
    holdTtl: withDefault(
      string(
        `How long an unpaid hold keeps its seats, ${HOLD_TTL_BOUNDS.min} to ${HOLD_TTL_BOUNDS.max}, as a duration such as 10m, 90s or 1h30m.`,
        {
          pattern: HOLD_TTL_PATTERN,
          minLength: 2,
          maxLength: 21,
          'x-kubernetes-validations': [
            // Guarded by the pattern, so a malformed value gets the pattern's message, not a CEL error.
            rule(
              `!self.matches('${HOLD_TTL_PATTERN}') || (duration(self) >= duration('${HOLD_TTL_BOUNDS.min}') && duration(self) <= duration('${HOLD_TTL_BOUNDS.max}'))`,
              `spec.sales.holdTtl must be between ${HOLD_TTL_BOUNDS.min} and ${HOLD_TTL_BOUNDS.max}`,
            ),
          ],
        },
      ),
      '10m',
    ),
  },
  {
    required: ['opensAt', 'closesAt'],
    extra: {
      'x-kubernetes-validations': [
        {
          // A whole second: the operator and PostgreSQL keep fewer fractional digits than CEL, and
          // the database insists that the sale closes after it opens.
          rule: "timestamp(self.closesAt) - timestamp(self.opensAt) >= duration('1s')",
          message: 'spec.sales.closesAt must be at least 1s after spec.sales.opensAt',
          fieldPath: '.closesAt',
        },
      ],
    },
  },
);

const allocator = withDefault(
  object(
    'Scaling of the event allocator on consumer lag (KEDA).',
    {
      minReplicas: withDefault(
        integer('Fewest allocator replicas; 0 scales to zero when the event is idle.', {
          minimum: 0,
          maximum: MAX_SHARDS,
        }),
        0,
      ),
      maxReplicas: withDefault(
        integer(
          'Most allocator replicas; at most spec.shards (a consumer group uses no more consumers than partitions).',
          { minimum: 1, maximum: MAX_SHARDS },
        ),
        1,
      ),
      lagThreshold: withDefault(
        integer('Consumer lag per replica that triggers scaling out, 1 to 1,000,000.', {
          minimum: 1,
          maximum: MAX_LAG_THRESHOLD,
        }),
        100,
      ),
    },
    {
      extra: {
        'x-kubernetes-validations': [
          {
            rule: 'self.minReplicas <= self.maxReplicas',
            message: 'spec.allocator.minReplicas must not exceed spec.allocator.maxReplicas',
            fieldPath: '.minReplicas',
          },
        ],
      },
    },
  ),
  // Defaulted as a whole (the API server checks a default against the CEL rules as written,
  // without nested defaults), so the rules always see numbers.
  { minReplicas: 0, maxReplicas: 1, lagThreshold: 100 },
);

export const spec = object(
  'What the organizer declares: the event, its sale and how its inventory is sharded.',
  {
    displayName: string('Name shown to buyers, 1 to 200 characters.', {
      minLength: 1,
      maxLength: 200,
      'x-kubernetes-validations': [noNul('spec.displayName')],
    }),
    venue: string('Where the event takes place, at most 200 characters.', {
      maxLength: 200,
      'x-kubernetes-validations': [noNul('spec.venue')],
    }),
    startsAt: timestamp('spec.startsAt', 'When the event starts (RFC 3339).'),
    sales,
    ticketTypes: array('Ticket types on sale, keyed by name.', ticketType, {
      minItems: 1,
      maxItems: 32,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    }),
    shards: withDefault(
      integer('Inventory shards (Kafka partitions) the capacity is split over: 1 to 256, never decreasing.', {
        minimum: 1,
        maximum: MAX_SHARDS,
        'x-kubernetes-validations': [{ rule: 'self >= oldSelf', message: 'spec.shards may not decrease' }],
      }),
      1,
    ),
    allocator,
    paused: withDefault(boolean('Stops new orders while true; holds and payments continue.'), false),
    deletionPolicy: withDefault(
      enumOf(
        'What happens to the purchase topic when the TicketEvent is deleted: Retain keeps it, Delete removes it once nothing is in flight. Orders and tickets are always kept.',
        ['Retain', 'Delete'],
      ),
      'Retain',
    ),
  },
  {
    required: ['displayName', 'startsAt', 'sales', 'ticketTypes'],
    extra: {
      'x-kubernetes-validations': [
        {
          rule: 'self.allocator.maxReplicas <= self.shards',
          message: 'spec.allocator.maxReplicas must not exceed spec.shards',
          fieldPath: '.allocator.maxReplicas',
        },
      ],
    },
  },
);

export const PHASES = [
  'Pending',
  'Provisioning',
  'Scheduled',
  'OnSale',
  'Paused',
  'SoldOut',
  'Closed',
  'Failed',
] as const;
export const CONDITION_TYPES = [
  'Ready',
  'TopicReady',
  'InventoryReady',
  'AllocatorReady',
  'ScalerReady',
] as const;

const condition = object(
  'Observed state of one aspect of the event.',
  {
    type: enumOf('Ready, TopicReady, InventoryReady, AllocatorReady or ScalerReady.', CONDITION_TYPES),
    status: enumOf('True, False or Unknown.', ['True', 'False', 'Unknown']),
    reason: string("Machine-readable reason (CamelCase), one of the operator's constants."),
    message: string('Human-readable detail.'),
    observedGeneration: integer('Generation of the spec this condition describes.'),
    lastTransitionTime: string('When the status last changed.', { format: 'date-time' }),
  },
  { required: ['type', 'status', 'reason', 'message'] },
);

const ticketTypeCounters = object(
  'Counters of one ticket type.',
  {
    name: string('Ticket type name.'),
    capacity: integer('Tickets of this type.'),
    held: integer('Held (unpaid).'),
    sold: integer('Sold.'),
    remaining: integer('Still available.'),
  },
  { required: ['name', 'capacity', 'held', 'sold', 'remaining'] },
);

export const status = object('What the operator observed.', {
  observedGeneration: integer('Generation of the spec last reconciled.'),
  phase: enumOf('Pending, Provisioning, Scheduled, OnSale, Paused, SoldOut, Closed or Failed.', PHASES),
  conditions: array('Ready plus one condition per child.', condition, {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  }),
  capacity: integer('Tickets in total, over all ticket types.'),
  held: integer('Tickets held (unpaid) in total.'),
  sold: integer('Tickets sold in total.'),
  remaining: integer('Tickets still available in total.'),
  ready: string('Ready condition status, for the printer column.'),
  ticketTypes: array('Counters per ticket type, from PostgreSQL.', ticketTypeCounters, {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
  }),
});

export type TicketEventSpec = TypeOf<typeof spec>;
export type TicketEventStatus = TypeOf<typeof status>;
export type Condition = NonNullable<TicketEventStatus['conditions']>[number];
export type Phase = (typeof PHASES)[number];

const root = object(
  'A ticketed event on sale through boxoffice. The namespace is the organizer.',
  {
    apiVersion: string('APIVersion of this object.'),
    kind: string('Kind of this object.'),
    metadata: raw({ type: 'object' }),
    spec,
    status,
  },
  {
    required: ['spec'],
    extra: {
      'x-kubernetes-validations': [
        {
          rule: 'self.metadata.name.size() <= 63',
          message: 'metadata.name must be at most 63 characters (it labels the allocator pods)',
        },
      ],
    },
  },
);

export const ticketEventCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'ticketevents.boxoffice.dev' },
  spec: {
    group: 'boxoffice.dev',
    scope: 'Namespaced',
    names: {
      kind: 'TicketEvent',
      listKind: 'TicketEventList',
      plural: 'ticketevents',
      singular: 'ticketevent',
      shortNames: ['tev'],
      categories: ['boxoffice'],
    },
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
          { name: 'Capacity', type: 'integer', jsonPath: '.status.capacity' },
          { name: 'Sold', type: 'integer', jsonPath: '.status.sold' },
          { name: 'Remaining', type: 'integer', jsonPath: '.status.remaining' },
          { name: 'Shards', type: 'integer', jsonPath: '.spec.shards' },
          { name: 'Ready', type: 'string', jsonPath: '.status.ready' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: { openAPIV3Schema: root.schema },
      },
    ],
  },
} as const;

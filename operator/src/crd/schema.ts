/**
 * The TicketEvent API, from one TypeScript source: the structural schema with a description on
 * every field (for `kubectl explain`), CEL rules whose messages name the field, and the types the
 * operator reads (`TicketEventSpec`, `TicketEventStatus`). `npm run crd` writes
 * operator/crd/ticketevents.boxoffice.dev.yaml from it.
 */
import { array, boolean, enumOf, integer, object, raw, string, withDefault, type TypeOf } from './builder.ts';

const ticketType = object(
  'A kind of ticket with its own price and capacity.',
  {
    name: string('Name of the ticket type, unique within the event (lower-case letters, digits, dashes).', {
      pattern: '^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$',
      maxLength: 32,
    }),
    price: integer('Price in minor units of the currency (e.g. cents); 0 makes the tickets free.', {
      minimum: 0,
    }),
    currency: string('ISO 4217 currency code, three capital letters.', { pattern: '^[A-Z]{3}$' }),
    capacity: integer(
      'Number of tickets of this type; may grow, and may shrink only down to what is held or sold.',
      {
        minimum: 0,
        maximum: 10_000_000,
      },
    ),
  },
  { required: ['name', 'price', 'currency', 'capacity'] },
);

const sales = object(
  'The sale window and per-buyer rules.',
  {
    opensAt: string('When buyers may start ordering (RFC 3339).', { format: 'date-time' }),
    closesAt: string('When the sale closes (RFC 3339); must be after opensAt.', { format: 'date-time' }),
    perBuyerLimit: withDefault(
      integer('Most tickets one buyer may hold or buy for this event.', { minimum: 1, maximum: 1000 }),
      4,
    ),
    holdTtl: withDefault(
      string('How long an unpaid hold keeps its seats, as a duration such as 10m, 90s or 1h30m.', {
        pattern: '^([0-9]+h)?([0-9]+m)?([0-9]+s)?$',
        minLength: 2,
      }),
      '10m',
    ),
  },
  {
    required: ['opensAt', 'closesAt'],
    extra: {
      'x-kubernetes-validations': [
        {
          rule: 'timestamp(self.closesAt) > timestamp(self.opensAt)',
          message: 'spec.sales.closesAt must be after spec.sales.opensAt',
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
        integer('Fewest allocator replicas; 0 scales to zero when the event is idle.', { minimum: 0 }),
        0,
      ),
      maxReplicas: withDefault(
        integer(
          'Most allocator replicas; at most spec.shards (a consumer group uses no more consumers than partitions).',
          { minimum: 1 },
        ),
        1,
      ),
      lagThreshold: withDefault(
        integer('Consumer lag per replica that triggers scaling out.', { minimum: 1 }),
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
    displayName: string('Name shown to buyers.', { minLength: 1, maxLength: 200 }),
    venue: string('Where the event takes place.', { maxLength: 200 }),
    startsAt: string('When the event starts (RFC 3339).', { format: 'date-time' }),
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
        maximum: 256,
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

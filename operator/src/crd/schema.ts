/**
 * The TicketEvent CRD, from one TypeScript source: the structural schema with a description on
 * every field (for `kubectl explain`), CEL rules whose messages name the field, status subresource
 * and printer columns. `npm run crd` writes operator/crd/ticketevents.boxoffice.dev.yaml from it.
 */
type Schema = Record<string, unknown>;

const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const int = (description: string, extra: Schema = {}): Schema => ({
  type: 'integer',
  format: 'int64',
  description,
  ...extra,
});
const obj = (description: string, properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: 'object',
  description,
  properties,
  ...extra,
});

const ticketType = obj(
  'A kind of ticket with its own price and capacity.',
  {
    name: str('Name of the ticket type, unique within the event (lower-case letters, digits, dashes).', {
      pattern: '^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$',
      maxLength: 32,
    }),
    price: int('Price in minor units of the currency (e.g. cents); 0 makes the tickets free.', {
      minimum: 0,
    }),
    currency: str('ISO 4217 currency code, three capital letters.', { pattern: '^[A-Z]{3}$' }),
    capacity: int(
      'Number of tickets of this type; may grow, and may shrink only down to what is held or sold.',
      { minimum: 0, maximum: 10_000_000 },
    ),
  },
  { required: ['name', 'price', 'currency', 'capacity'] },
);

const spec = obj(
  'What the organizer declares: the event, its sale and how its inventory is sharded.',
  {
    displayName: str('Name shown to buyers.', { minLength: 1, maxLength: 200 }),
    venue: str('Where the event takes place.', { maxLength: 200 }),
    startsAt: str('When the event starts (RFC 3339).', { format: 'date-time' }),
    sales: obj(
      'The sale window and per-buyer rules.',
      {
        opensAt: str('When buyers may start ordering (RFC 3339).', { format: 'date-time' }),
        closesAt: str('When the sale closes (RFC 3339); must be after opensAt.', { format: 'date-time' }),
        perBuyerLimit: int('Most tickets one buyer may hold or buy for this event.', {
          minimum: 1,
          maximum: 1000,
          default: 4,
        }),
        holdTtl: str('How long an unpaid hold keeps its seats, as a duration such as 10m or 90s.', {
          pattern: '^([0-9]+h)?([0-9]+m)?([0-9]+s)?$',
          default: '10m',
        }),
      },
      {
        required: ['opensAt', 'closesAt'],
        'x-kubernetes-validations': [
          {
            rule: 'timestamp(self.closesAt) > timestamp(self.opensAt)',
            message: 'spec.sales.closesAt must be after spec.sales.opensAt',
            fieldPath: '.closesAt',
          },
        ],
      },
    ),
    ticketTypes: {
      type: 'array',
      description: 'Ticket types on sale, keyed by name.',
      minItems: 1,
      maxItems: 32,
      items: ticketType,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    },
    shards: int(
      'Inventory shards (Kafka partitions) the capacity is split over: 1 to 256, never decreasing.',
      {
        minimum: 1,
        maximum: 256,
        default: 1,
        'x-kubernetes-validations': [{ rule: 'self >= oldSelf', message: 'spec.shards may not decrease' }],
      },
    ),
    allocator: obj(
      'Scaling of the event allocator on consumer lag (KEDA).',
      {
        minReplicas: int('Fewest allocator replicas; 0 scales to zero when the event is idle.', {
          minimum: 0,
          default: 0,
        }),
        maxReplicas: int(
          'Most allocator replicas; at most spec.shards (a consumer group uses no more consumers than partitions).',
          { minimum: 1, default: 1 },
        ),
        lagThreshold: int('Consumer lag per replica that triggers scaling out.', {
          minimum: 1,
          default: 100,
        }),
      },
      {
        // Defaulted as a whole (the API server checks a default against the CEL rules as written,
        // without nested defaults), so the rules always see numbers.
        default: { minReplicas: 0, maxReplicas: 1, lagThreshold: 100 },
        'x-kubernetes-validations': [
          {
            rule: 'self.minReplicas <= self.maxReplicas',
            message: 'spec.allocator.minReplicas must not exceed spec.allocator.maxReplicas',
            fieldPath: '.minReplicas',
          },
        ],
      },
    ),
    paused: {
      type: 'boolean',
      description: 'Stops new orders while true; holds and payments continue.',
      default: false,
    },
    deletionPolicy: str(
      'What happens to the purchase topic when the TicketEvent is deleted: Retain keeps it, Delete removes it once nothing is in flight. Orders and tickets are always kept.',
      { enum: ['Retain', 'Delete'], default: 'Retain' },
    ),
  },
  {
    required: ['displayName', 'startsAt', 'sales', 'ticketTypes'],
    'x-kubernetes-validations': [
      {
        rule: 'self.allocator.maxReplicas <= self.shards',
        message: 'spec.allocator.maxReplicas must not exceed spec.shards',
        fieldPath: '.allocator.maxReplicas',
      },
    ],
  },
);

const condition = obj(
  'Observed state of one aspect of the event.',
  {
    type: str('Ready, TopicReady, InventoryReady, AllocatorReady or ScalerReady.'),
    status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
    reason: str('Machine-readable reason (CamelCase).'),
    message: str('Human-readable detail.'),
    observedGeneration: int('Generation of the spec this condition describes.'),
    lastTransitionTime: str('When the status last changed.', { format: 'date-time' }),
  },
  { required: ['type', 'status'] },
);

const status = obj('What the operator observed.', {
  observedGeneration: int('Generation of the spec last reconciled.'),
  phase: str('Pending, Provisioning, Scheduled, OnSale, Paused, SoldOut, Closed or Failed.', {
    enum: ['Pending', 'Provisioning', 'Scheduled', 'OnSale', 'Paused', 'SoldOut', 'Closed', 'Failed'],
  }),
  conditions: {
    type: 'array',
    description: 'Ready plus one condition per child.',
    items: condition,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  },
  capacity: int('Tickets in total, over all ticket types.'),
  held: int('Tickets held (unpaid) in total.'),
  sold: int('Tickets sold in total.'),
  remaining: int('Tickets still available in total.'),
  ready: str('Ready condition status, for the printer column.'),
  ticketTypes: {
    type: 'array',
    description: 'Counters per ticket type, from PostgreSQL.',
    items: obj(
      'Counters of one ticket type.',
      {
        name: str('Ticket type name.'),
        capacity: int('Tickets of this type.'),
        held: int('Held (unpaid).'),
        sold: int('Sold.'),
        remaining: int('Still available.'),
      },
      { required: ['name'] },
    ),
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
  },
});

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
        schema: {
          openAPIV3Schema: obj(
            'A ticketed event on sale through boxoffice. The namespace is the organizer.',
            {
              apiVersion: str('APIVersion of this object.'),
              kind: str('Kind of this object.'),
              metadata: { type: 'object' },
              spec,
              status,
            },
            {
              required: ['spec'],
              'x-kubernetes-validations': [
                {
                  rule: 'self.metadata.name.size() <= 63',
                  message: 'metadata.name must be at most 63 characters (it labels the allocator pods)',
                },
              ],
            },
          ),
        },
      },
    ],
  },
} as const;

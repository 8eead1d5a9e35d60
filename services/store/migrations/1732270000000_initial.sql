-- Up Migration

-- The event catalog, as provisioned by the operator from TicketEvents.
CREATE TABLE events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  namespace text NOT NULL,
  name text NOT NULL,
  display_name text NOT NULL,
  venue text NOT NULL,
  starts_at timestamptz NOT NULL,
  sales_open_at timestamptz NOT NULL,
  sales_close_at timestamptz NOT NULL,
  per_buyer_limit int NOT NULL CHECK (per_buyer_limit > 0),
  hold_ttl_seconds int NOT NULL CHECK (hold_ttl_seconds > 0),
  shards int NOT NULL CHECK (shards BETWEEN 1 AND 256),
  paused boolean NOT NULL DEFAULT false,
  -- Set when the TicketEvent is deleted: sales stop, orders and tickets are kept forever.
  closed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (namespace, name),
  CHECK (sales_close_at > sales_open_at)
);

CREATE TABLE ticket_types (
  event_id bigint NOT NULL REFERENCES events (id),
  name text NOT NULL,
  price_minor bigint NOT NULL CHECK (price_minor >= 0),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  capacity int NOT NULL CHECK (capacity >= 0),
  PRIMARY KEY (event_id, name)
);

-- One row per shard and ticket type. The CHECK makes overselling impossible even if code is wrong.
CREATE TABLE inventory_shards (
  event_id bigint NOT NULL,
  shard int NOT NULL CHECK (shard >= 0),
  ticket_type text NOT NULL,
  capacity int NOT NULL CHECK (capacity >= 0),
  held int NOT NULL DEFAULT 0 CHECK (held >= 0),
  sold int NOT NULL DEFAULT 0 CHECK (sold >= 0),
  PRIMARY KEY (event_id, shard, ticket_type),
  FOREIGN KEY (event_id, ticket_type) REFERENCES ticket_types (event_id, name),
  CHECK (held + sold <= capacity)
);

CREATE TABLE orders (
  id uuid PRIMARY KEY,
  event_id bigint NOT NULL REFERENCES events (id),
  buyer_id text NOT NULL,
  ticket_type text NOT NULL,
  quantity int NOT NULL CHECK (quantity > 0),
  idempotency_key text NOT NULL,
  shard int NOT NULL,
  status text NOT NULL CHECK (status IN ('HELD', 'CONFIRMED', 'EXPIRED', 'RELEASED', 'REFUND_REQUIRED', 'REJECTED')),
  reject_reason text CHECK ((status = 'REJECTED') = (reject_reason IS NOT NULL)),
  amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
  currency char(3) NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  -- A retried request (same buyer and Idempotency-Key) can never become a second order.
  UNIQUE (event_id, buyer_id, idempotency_key),
  FOREIGN KEY (event_id, ticket_type) REFERENCES ticket_types (event_id, name)
);
CREATE INDEX orders_due_holds ON orders (event_id, shard, expires_at) WHERE status = 'HELD';
CREATE INDEX orders_by_buyer ON orders (buyer_id, created_at DESC);

-- Issued on confirmation; a ticket code and an order's seat number are each issued once.
CREATE TABLE tickets (
  code text PRIMARY KEY,
  order_id uuid NOT NULL REFERENCES orders (id),
  ticket_type text NOT NULL,
  seq int NOT NULL CHECK (seq > 0),
  issued_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (order_id, seq)
);

-- Tickets a buyer holds or bought for an event (across shards), for the per-buyer limit.
CREATE TABLE buyer_quantities (
  event_id bigint NOT NULL REFERENCES events (id),
  buyer_id text NOT NULL,
  quantity int NOT NULL CHECK (quantity >= 0),
  PRIMARY KEY (event_id, buyer_id)
);

-- Payment provider callbacks already applied: a redelivered webhook changes nothing.
CREATE TABLE provider_events (
  provider_event_id text PRIMARY KEY,
  order_id uuid NOT NULL REFERENCES orders (id),
  kind text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE provider_events, buyer_quantities, tickets, orders, inventory_shards, ticket_types, events;

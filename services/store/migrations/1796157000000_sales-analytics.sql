-- Up Migration

-- Where an order was sold: `online` for every buyer, others from a token claim purchase-api accepts
-- from its configured list. Orders from before channels are online.
ALTER TABLE orders ADD COLUMN channel text NOT NULL DEFAULT 'online'
  CHECK (channel ~ '^[a-z][a-z0-9-]{0,31}$');
-- The organizer API lists an event's orders newest first, keyset-paginated by (created_at, id).
CREATE INDEX orders_by_event ON orders (event_id, created_at DESC, id DESC);

-- The analytics projection of the order-events topic (services/analytics), written only by its
-- consumer. Events are keyed by text (namespace, name): the projection is rebuilt from the topic
-- alone, and outlives the catalog rows it could otherwise refer to.

-- Order events already added up, by identity (an order reaches each kind once): a redelivered,
-- duplicated or replayed event adds nothing. Written in the same transaction as the sums.
CREATE TABLE sales_applied_events (
  order_id uuid NOT NULL,
  kind text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, kind)
);

-- Per event, ticket type, sales channel, currency and minute.
CREATE TABLE sales_by_minute (
  namespace text NOT NULL,
  name text NOT NULL,
  ticket_type text NOT NULL,
  channel text NOT NULL,
  minute timestamptz NOT NULL,
  currency char(3) NOT NULL,
  held bigint NOT NULL DEFAULT 0,
  confirmed bigint NOT NULL DEFAULT 0,
  expired bigint NOT NULL DEFAULT 0,
  released bigint NOT NULL DEFAULT 0,
  refund_required bigint NOT NULL DEFAULT 0,
  tickets_sold bigint NOT NULL DEFAULT 0,
  revenue_minor numeric NOT NULL DEFAULT 0,
  PRIMARY KEY (namespace, name, minute, ticket_type, channel, currency)
);

-- Rejected orders (no hold) per event, ticket type, channel and minute, by reason.
CREATE TABLE sales_rejections_by_minute (
  namespace text NOT NULL,
  name text NOT NULL,
  ticket_type text NOT NULL,
  channel text NOT NULL,
  minute timestamptz NOT NULL,
  reason text NOT NULL,
  orders bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (namespace, name, minute, ticket_type, channel, reason)
);

-- Down Migration
DROP TABLE sales_rejections_by_minute, sales_by_minute, sales_applied_events;
DROP INDEX orders_by_event;
ALTER TABLE orders DROP COLUMN channel;

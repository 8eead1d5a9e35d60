-- Up Migration

-- The waiting lists of sold-out ticket types (services/inventory/src/waiting-list.ts). An entry lives
-- on one shard and only that shard's allocator writes it (joining and leaving are commands on the
-- shard's partition), in the same transaction as the shard's counters: an entry served by freed
-- seats becomes the order with the entry's id.
CREATE TABLE waiting_list (
  id uuid PRIMARY KEY,
  event_id bigint NOT NULL REFERENCES events (id),
  ticket_type text NOT NULL,
  buyer_id text NOT NULL,
  quantity int NOT NULL CHECK (quantity > 0),
  shard int NOT NULL CHECK (shard >= 0),
  -- Arrival order on the shard (its partition's order), given by its single writer.
  seq bigint NOT NULL,
  status text NOT NULL CHECK (status IN ('WAITING', 'OFFERED', 'LEFT')),
  channel text NOT NULL DEFAULT 'online' CHECK (channel ~ '^[a-z][a-z0-9-]{0,31}$'),
  joined_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (event_id, shard, seq),
  FOREIGN KEY (event_id, ticket_type) REFERENCES ticket_types (event_id, name)
);
-- One waiting entry per buyer and ticket type, across shards (the allocators check it first, under
-- the buyer's row lock; this is the last line of defence).
CREATE UNIQUE INDEX waiting_list_one_per_buyer ON waiting_list (event_id, ticket_type, buyer_id)
  WHERE status = 'WAITING';
-- A shard's list in joining order, as its writer reads it.
CREATE INDEX waiting_list_by_shard ON waiting_list (event_id, shard, ticket_type, seq)
  WHERE status = 'WAITING';
CREATE INDEX waiting_list_by_buyer ON waiting_list (event_id, buyer_id, ticket_type, joined_at DESC);

-- Down Migration
DROP TABLE waiting_list;

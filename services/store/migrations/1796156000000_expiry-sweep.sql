-- Up Migration

-- purchase-api's expiry sweep walks the due holds of every event in expiry order (an allocator may
-- be scaled to zero, so no per-event, per-shard sweep can be relied on). The index on
-- (event_id, shard, expires_at) cannot serve that walk: this one can, keyset-paginated by (expires_at, id).
CREATE INDEX orders_held_by_expiry ON orders (expires_at, id) WHERE status = 'HELD';

-- How far the sweep has got, shared by every purchase-api replica (one sweeps at a time, under an
-- advisory lock), so a hold already sent a `hold.expire` is not sent again by the next round or
-- another replica. The walk starts over every so often, which re-sends what is still HELD (a
-- command ignored as not yet due by an allocator whose clock is behind, or one that failed to send).
CREATE TABLE hold_expiry_sweep (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  after_expires_at timestamptz NOT NULL DEFAULT '-infinity',
  after_order_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
  walk_started_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO hold_expiry_sweep DEFAULT VALUES;

-- Down Migration
DROP TABLE hold_expiry_sweep;
DROP INDEX orders_held_by_expiry;

-- Up Migration

-- A ticket type removed from its TicketEvent is retired, not deleted: its orders (expired, released,
-- rejected, refunds) keep referring to it, and a late payment for one still finds its shard counters.
-- A retired type is not on sale: the catalog and availability leave it out, its shard rows have no
-- capacity, and the allocator gets no price for it, so a purchase still in flight is REJECTED.
-- Only a type with nothing held or sold is retired; listing it again puts it back on sale.
ALTER TABLE ticket_types ADD COLUMN retired_at timestamptz;

-- Down Migration
ALTER TABLE ticket_types DROP COLUMN retired_at;

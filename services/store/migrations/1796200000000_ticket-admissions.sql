-- Up Migration

-- Tickets let in at the door (query-api's check-in). The primary key is what admits a ticket once:
-- of two scanners scanning one code at the same moment, the database lets one insert win and the
-- other finds its row (services/query-api/test/checkin.integration.test.ts shows the race without it).
CREATE TABLE ticket_admissions (
  code text PRIMARY KEY REFERENCES tickets (code),
  event_id bigint NOT NULL REFERENCES events (id),
  ticket_type text NOT NULL,
  order_id uuid NOT NULL REFERENCES orders (id),
  -- The scanner's token subject, shown to the next scanner of the same code.
  scanned_by text NOT NULL,
  admitted_at timestamptz NOT NULL DEFAULT now()
);
-- The sales summary counts admissions per event and ticket type.
CREATE INDEX ticket_admissions_by_event ON ticket_admissions (event_id, ticket_type);

-- Down Migration
DROP TABLE ticket_admissions;

import pg from 'pg';

/**
 * What PostgreSQL refuses for good: integrity constraint violations (SQLSTATE class 23: CHECK,
 * NOT NULL, unique, foreign key) and data exceptions (class 22: a number out of range, a NUL in
 * text, a time out of range). Retrying the same spec can only fail the same way; anything else from
 * the database (connection lost, deadlock, serialization failure) is worth retrying.
 */
export function isRefusedByDatabase(error: unknown): error is pg.DatabaseError {
  return error instanceof pg.DatabaseError && /^2[23]/.test(error.code ?? '');
}

/** The spec field each provisioned column comes from, so the message says what to change. */
const FIELD_OF_COLUMN: Record<string, string> = {
  'events.display_name': 'spec.displayName',
  'events.venue': 'spec.venue',
  'events.starts_at': 'spec.startsAt',
  'events.sales_open_at': 'spec.sales.opensAt',
  'events.sales_close_at': 'spec.sales.closesAt',
  'events.per_buyer_limit': 'spec.sales.perBuyerLimit',
  'events.hold_ttl_seconds': 'spec.sales.holdTtl',
  'events.shards': 'spec.shards',
  'events.paused': 'spec.paused',
  'ticket_types.name': 'spec.ticketTypes[].name',
  'ticket_types.price_minor': 'spec.ticketTypes[].price',
  'ticket_types.currency': 'spec.ticketTypes[].currency',
  'ticket_types.capacity': 'spec.ticketTypes[].capacity',
  'inventory_shards.capacity': 'spec.ticketTypes[].capacity',
};

/** Table-wide CHECKs, which PostgreSQL names after the table alone. */
const FIELD_OF_CONSTRAINT: Record<string, string> = {
  events_check: 'spec.sales.closesAt',
  inventory_shards_check: 'spec.ticketTypes[].capacity',
};

/**
 * The spec field a refusal is about, when the database says: the column it names, or the column
 * in the constraint's name (PostgreSQL names a column CHECK `<table>_<column>_check[n]`).
 */
export function refusedField(error: pg.DatabaseError): string | undefined {
  if (error.table && error.column) return FIELD_OF_COLUMN[`${error.table}.${error.column}`];
  if (!error.constraint) return undefined;
  if (FIELD_OF_CONSTRAINT[error.constraint]) return FIELD_OF_CONSTRAINT[error.constraint];
  const column = Object.keys(FIELD_OF_COLUMN).find((key) => {
    const [table, name] = key.split('.') as [string, string];
    return (error.table ?? table) === table && error.constraint!.startsWith(`${table}_${name}_`);
  });
  return column ? FIELD_OF_COLUMN[column] : undefined;
}

/** One line for a condition and an Event: the field to change and what PostgreSQL said. */
export function refusalMessage(error: pg.DatabaseError): string {
  const field = refusedField(error);
  return `${field ?? 'the spec'} is refused by the database (SQLSTATE ${error.code}): ${error.message}`;
}

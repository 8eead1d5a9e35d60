import {
  decideCheckin,
  type Admission,
  type CheckinDecision,
  type EventKey,
  type OrderStatus,
  type ScannedTicket,
} from '@boxoffice/inventory';
import type pg from 'pg';
import { inTransaction } from './transaction.ts';

/** What a scan did: admitted, or why not (the domain's refusals, plus an event that does not exist). */
export type CheckinOutcome =
  | { kind: 'admitted'; admission: Admission }
  /** The door's event does not exist (a scanner set up for the wrong event). */
  | { kind: 'no_event' }
  | Exclude<CheckinDecision, { kind: 'admit' }>;

/**
 * Check-in at the door of `door`: reads the scanned code's ticket, order and admission, lets the
 * domain decide (decideCheckin), and records an admission when it says admit. Exactly once rests on
 * the primary key of `ticket_admissions`: two scans of one code at the same moment may both read
 * "not admitted", but only one insert wins; the other inserts nothing and reads the winner's row
 * (READ COMMITTED: the statement after the insert sees it committed), so it answers "already
 * admitted" like any later scan. The order row is share-locked meanwhile, so a change of its status
 * (made by its shard's allocator) falls wholly before or after the admission.
 */
export async function checkInTicket(
  pool: pg.Pool,
  door: EventKey,
  scan: { code: string; scannedBy: string },
): Promise<CheckinOutcome> {
  return inTransaction(pool, async (client) => {
    const event = await client.query('SELECT 1 FROM events WHERE namespace = $1 AND name = $2', [
      door.namespace,
      door.name,
    ]);
    if (event.rowCount === 0) return { kind: 'no_event' };
    const ticket = await scannedTicket(client, scan.code);
    const decision = decideCheckin(door, ticket, await admissionOf(client, scan.code));
    if (decision.kind !== 'admit') return decision;
    // No conflict target: the primary key is the only thing that can conflict, and the concurrency
    // test drops it to show the race this statement would then lose.
    const { rows } = await client.query<{ admitted_at: Date }>(
      `INSERT INTO ticket_admissions (code, event_id, ticket_type, order_id, scanned_by)
       SELECT t.code, o.event_id, t.ticket_type, o.id, $2 FROM tickets t JOIN orders o ON o.id = t.order_id
        WHERE t.code = $1
       ON CONFLICT DO NOTHING RETURNING admitted_at`,
      [scan.code, scan.scannedBy],
    );
    const admitted = rows[0];
    if (admitted)
      return {
        kind: 'admitted',
        admission: {
          code: scan.code,
          ticketType: decision.ticket.ticketType,
          orderId: decision.ticket.orderId,
          admittedAt: admitted.admitted_at.toISOString(),
          scannedBy: scan.scannedBy,
        },
      };
    // Another scan of this code committed first.
    const first = await admissionOf(client, scan.code);
    if (!first) throw new Error(`ticket ${scan.code}: admission refused by a conflict but not found`);
    return { kind: 'already_admitted', admission: first };
  });
}

async function scannedTicket(client: pg.PoolClient, code: string): Promise<ScannedTicket | undefined> {
  const { rows } = await client.query<{
    ticket_type: string;
    order_id: string;
    status: OrderStatus;
    namespace: string;
    name: string;
  }>(
    `SELECT t.ticket_type, o.id AS order_id, o.status, e.namespace, e.name
       FROM tickets t JOIN orders o ON o.id = t.order_id JOIN events e ON e.id = o.event_id
      WHERE t.code = $1 FOR SHARE OF o`,
    [code],
  );
  const row = rows[0];
  return row
    ? {
        code,
        namespace: row.namespace,
        name: row.name,
        ticketType: row.ticket_type,
        orderId: row.order_id,
        orderStatus: row.status,
      }
    : undefined;
}

async function admissionOf(client: pg.PoolClient, code: string): Promise<Admission | undefined> {
  const { rows } = await client.query<{
    ticket_type: string;
    order_id: string;
    scanned_by: string;
    admitted_at: Date;
  }>('SELECT ticket_type, order_id, scanned_by, admitted_at FROM ticket_admissions WHERE code = $1', [code]);
  const row = rows[0];
  return row
    ? {
        code,
        ticketType: row.ticket_type,
        orderId: row.order_id,
        admittedAt: row.admitted_at.toISOString(),
        scannedBy: row.scanned_by,
      }
    : undefined;
}

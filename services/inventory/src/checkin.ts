import { OrderStatus } from './orders.ts';

/**
 * Check-in at the door: a ticket is admitted once, and only while its order is paid. The adapter
 * reads what the database knows of the scanned code and persists an admission; the rules of what
 * may be admitted live here.
 */

/** A scanned ticket as the database knows it. */
export interface ScannedTicket {
  code: string;
  /** The ticket's event. */
  namespace: string;
  name: string;
  ticketType: string;
  orderId: string;
  orderStatus: OrderStatus;
}

/** The record of a ticket let in: when, and by which scanner (the token's subject). */
export interface Admission {
  code: string;
  ticketType: string;
  orderId: string;
  admittedAt: string;
  scannedBy: string;
}

export type CheckinRefusal =
  /** No ticket has this code. */
  | { reason: 'unknown_code' }
  /** The ticket is real but for another event (another door). */
  | { reason: 'other_event'; sameOrganizer: boolean; event: { namespace: string; name: string } }
  /** The ticket's order is no longer paid (a refund, or not confirmed). */
  | { reason: 'not_admissible'; orderStatus: OrderStatus };

export type CheckinDecision =
  | { kind: 'admit'; ticket: ScannedTicket }
  | { kind: 'already_admitted'; admission: Admission }
  | ({ kind: 'refused' } & CheckinRefusal);

/**
 * Only a ticket of a CONFIRMED order gets in. Tickets are issued on confirmation, so another status
 * means the order left the paid state (REFUND_REQUIRED) or never reached it (HELD, EXPIRED,
 * RELEASED, REJECTED): the holder paid nothing that stands.
 */
export function isAdmissible(status: OrderStatus): boolean {
  return status === OrderStatus.Confirmed;
}

/**
 * What a scan at the door of `door` means. The event is checked first: a ticket of another event
 * says nothing about this one, even when it was admitted there. A ticket already admitted answers
 * with its admission whatever its order became since, because the holder is already inside.
 */
export function decideCheckin(
  door: { namespace: string; name: string },
  ticket: ScannedTicket | undefined,
  admission: Admission | undefined,
): CheckinDecision {
  if (!ticket) return { kind: 'refused', reason: 'unknown_code' };
  if (ticket.namespace !== door.namespace || ticket.name !== door.name)
    return {
      kind: 'refused',
      reason: 'other_event',
      sameOrganizer: ticket.namespace === door.namespace,
      event: { namespace: ticket.namespace, name: ticket.name },
    };
  if (admission) return { kind: 'already_admitted', admission };
  if (!isAdmissible(ticket.orderStatus))
    return { kind: 'refused', reason: 'not_admissible', orderStatus: ticket.orderStatus };
  return { kind: 'admit', ticket };
}

/**
 * A code as a scanner reads it: upper case, without the spaces a keyboard wedge or a person may
 * add. Codes are issued upper case (newTicketCode), so this finds the same ticket.
 */
export function normalizeTicketCode(raw: string): string {
  return raw.replace(/\s+/g, '').toUpperCase();
}

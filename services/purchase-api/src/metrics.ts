import { Counter, type Registry } from 'prom-client';
import type { PlaceOrder, PlaceOrderResult } from './orders-service.ts';

/**
 * purchase-api's own metrics (RED per route comes from the shared HTTP app). Labels are bounded: an
 * event or ticket type is only named once the catalog knows it, never an order or buyer id.
 */
export interface PurchaseApiMetrics {
  /** `boxoffice_api_orders_total{event, ticket_type, outcome}`: every answer to POST …/orders. */
  orderAnswers: Counter;
  /** `boxoffice_hold_expiry_commands_total{event, result}`. */
  expiryCommands: Counter;
  /** `boxoffice_hold_expiry_sweeps_total{result}`. */
  expirySweeps: Counter;
}

export function purchaseApiMetrics(registry: Registry): PurchaseApiMetrics {
  const orderAnswers = new Counter({
    name: 'boxoffice_api_orders_total',
    help: 'Answers to order requests by outcome (accepted, pending, sold_out, limit_reached, not_on_sale, unavailable, …), event and ticket type',
    labelNames: ['event', 'ticket_type', 'outcome'] as const,
    registers: [registry],
  });
  const expirySweeps = new Counter({
    name: 'boxoffice_hold_expiry_sweeps_total',
    help: 'Rounds of the hold expiry sweeper: swept (this replica held the sweep lock), skipped (another replica did), failed (PostgreSQL or Kafka refused; retried next interval)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  // Every replica says at once whether its sweeper works, before the first failure.
  for (const result of ['swept', 'skipped', 'failed']) expirySweeps.inc({ result }, 0);
  return {
    orderAnswers,
    expiryCommands: new Counter({
      name: 'boxoffice_hold_expiry_commands_total',
      help: 'hold.expire commands the expiry sweeper produced (result sent) or could not (failed)',
      labelNames: ['event', 'result'] as const,
      registers: [registry],
    }),
    expirySweeps,
  };
}

/**
 * The labels of one answer: a request for an event or ticket type the catalog does not know (or a
 * conflicting retry, whose body may name anything) names neither, so buyers cannot mint series.
 */
export function orderAnswerLabels(
  request: Pick<PlaceOrder, 'event' | 'ticketType'>,
  result: PlaceOrderResult,
): { event: string; ticket_type: string; outcome: string } {
  const knownEvent = result.kind !== 'event_not_found';
  const knownType =
    knownEvent && result.kind !== 'unknown_ticket_type' && result.kind !== 'idempotency_conflict';
  return {
    event: knownEvent ? `${request.event.namespace}/${request.event.name}` : '',
    ticket_type: knownType ? request.ticketType : '',
    outcome: result.kind,
  };
}

import { buyerOf, requireBuyer, type JwtVerifier } from '@boxoffice/platform/auth/jwt';
import { AppError } from '@boxoffice/platform/errors/app-error';
import { defineRoute, type AnyRoute, type DocumentedMiddleware } from '@boxoffice/platform/http/route';
import { dnsLabel, normalizeTicketCode } from '@boxoffice/inventory';
import { checkInTicket, type CheckinOutcome } from '@boxoffice/store';
import type pg from 'pg';
import { z } from 'zod';
import { QueryErrors } from './errors.ts';
import { requireOrganizerRole } from './organizer-access.ts';

// An event is named by Kubernetes names (DNS labels): nothing else can exist, and nothing else
// reaches PostgreSQL (which refuses text with U+0000 in it).
const eventParams = z.object({ namespace: dnsLabel, name: dnsLabel });
const admissionView = z
  .object({
    code: z.string(),
    ticketType: z.string(),
    orderId: z.string(),
    admittedAt: z.string().describe('When the ticket was let in'),
    scannedBy: z.string().describe("The scanner's token subject"),
  })
  .meta({ id: 'Admission' });

/** The problem a scan that admits nothing answers with; its document says why, for the person at the door. */
function refusal(outcome: Exclude<CheckinOutcome, { kind: 'admitted' }>): AppError {
  switch (outcome.kind) {
    case 'no_event':
      return new AppError(QueryErrors.EventNotFound);
    case 'already_admitted':
      return new AppError(QueryErrors.AlreadyAdmitted, {
        detail: `admitted at ${outcome.admission.admittedAt} by scanner ${outcome.admission.scannedBy}`,
        extensions: { admittedAt: outcome.admission.admittedAt, scannedBy: outcome.admission.scannedBy },
      });
    case 'refused':
      if (outcome.reason === 'unknown_code') return new AppError(QueryErrors.TicketNotFound);
      if (outcome.reason === 'other_event')
        // Another organizer's event is not this organizer's business: it is not named.
        return new AppError(QueryErrors.TicketForAnotherEvent, {
          detail: outcome.sameOrganizer
            ? `this ticket is for event ${outcome.event.namespace}/${outcome.event.name}`
            : "this ticket is for another organizer's event",
        });
      return new AppError(QueryErrors.TicketNotAdmissible, {
        detail: `the ticket's order is ${outcome.orderStatus}`,
        extensions: { orderStatus: outcome.orderStatus },
      });
  }
}

/**
 * `POST /v1/organizers/{namespace}/events/{name}/checkins`: a scanner at the door admits a ticket
 * once. Organizer and scanner tokens of the namespace may scan; the scanner is the token's subject.
 */
export function checkinRoutes(deps: {
  pool: pg.Pool;
  verifier: JwtVerifier;
  perBuyer: DocumentedMiddleware[];
}): AnyRoute[] {
  return [
    defineRoute({
      operationId: 'checkInTicket',
      method: 'post',
      path: '/v1/organizers/{namespace}/events/{name}/checkins',
      summary: 'Admit a ticket at the door (once: a second scan answers 409 with the first admission)',
      description:
        'For organizer or scanner tokens of the namespace. 201 admits the ticket; 409 `already-admitted` carries `admittedAt` and `scannedBy` of the first scan; 404 `ticket-not-found` for an unknown code; 422 `ticket-for-another-event`, or `ticket-not-admissible` (with `orderStatus`) for a ticket whose order is not paid.',
      tags: ['organizers'],
      middleware: [
        requireBuyer(deps.verifier),
        ...deps.perBuyer,
        requireOrganizerRole('organizer', 'scanner'),
      ],
      request: {
        params: eventParams,
        body: z.object({
          code: z
            .string()
            .min(1)
            .max(64)
            // Codes are letters, digits and dashes; anything else (a control character, U+0000 that
            // PostgreSQL cannot hold) is a misread, refused before it reaches the database.
            .regex(/^[-A-Za-z0-9\s]+$/, 'must be a ticket code: letters, digits, dashes and spaces')
            .describe('The ticket code as scanned (case and spaces do not matter)'),
        }),
      },
      responses: { 201: { description: 'The ticket is admitted', schema: admissionView } },
      problems: [
        QueryErrors.EventNotFound,
        QueryErrors.TicketNotFound,
        QueryErrors.AlreadyAdmitted,
        QueryErrors.TicketForAnotherEvent,
        QueryErrors.TicketNotAdmissible,
      ],
      handler: async ({ params, body }, _req, res) => {
        const outcome = await checkInTicket(deps.pool, params, {
          code: normalizeTicketCode(body.code),
          scannedBy: buyerOf(res).buyerId,
        });
        if (outcome.kind !== 'admitted') throw refusal(outcome);
        res.status(201).json(outcome.admission);
      },
    }),
  ] as AnyRoute[];
}

import { buyerOf } from '@boxoffice/platform/auth/jwt';
import { AppError } from '@boxoffice/platform/errors/app-error';
import { documented, type DocumentedMiddleware } from '@boxoffice/platform/http/route';
import { z } from 'zod';
import { QueryErrors } from './errors.ts';

/**
 * Organizer tokens carry `roles: [{ role: 'organizer' | 'scanner', namespaces: ['demo', …] }]`: the
 * namespaces (organizers) the caller manages. An organizer reads the sale and scans tickets; a
 * scanner only scans. A token without a matching role (a buyer's, another organizer's) gets 403.
 */
export type OrganizerRole = 'organizer' | 'scanner';

const rolesClaim = z.array(z.object({ role: z.string(), namespaces: z.array(z.string()) }).loose());

export function rolesFor(claims: Record<string, unknown>, namespace: string): OrganizerRole[] {
  const parsed = rolesClaim.safeParse(claims.roles);
  if (!parsed.success) return [];
  return parsed.data
    .filter((r) => (r.role === 'organizer' || r.role === 'scanner') && r.namespaces.includes(namespace))
    .map((r) => r.role as OrganizerRole);
}

/** After requireBuyer: lets the request through when the token has one of `allowed` for the path's namespace. */
export function requireOrganizerRole(...allowed: OrganizerRole[]): DocumentedMiddleware {
  return documented(
    (req, res, next) => {
      const namespace = String(req.params.namespace ?? '');
      if (!rolesFor(buyerOf(res).claims, namespace).some((role) => allowed.includes(role)))
        throw new AppError(QueryErrors.NotOrganizer, {
          detail: `this token has no ${allowed.join(' or ')} role for namespace ${namespace}`,
        });
      next();
    },
    { problems: [QueryErrors.NotOrganizer] },
  );
}

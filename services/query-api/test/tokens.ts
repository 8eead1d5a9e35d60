import { SignJWT } from 'jose';

/** The HS256 secret the query-api integration tests configure. */
export const secret = 'a-test-secret-that-is-at-least-32-characters-long';

/** A token as the local issuer signs it, for `sub` with the given claims (roles, channel...). */
export const token = (sub: string, claims: Record<string, unknown> = {}): Promise<string> =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuer('boxoffice-local')
    .setAudience('boxoffice')
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret));

/**
 * Buyer authentication: a bearer JWT whose algorithm, issuer and audience are pinned by
 * configuration — never taken from the token — so `alg: none`, algorithm confusion
 * (an RS256 public key used as an HS256 secret) and tokens minted for another service fail.
 */
import type { Response } from 'express';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { PlatformErrors } from '../errors/platform-errors.ts';
import { documented, type DocumentedMiddleware } from '../http/route.ts';

const common = {
  issuer: z.string().min(1),
  audience: z.string().min(1),
  /** Allowed clock skew between the issuer and this service. */
  clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
};

/** For a service's typed config: HS256 with a shared secret locally, RS256 with the issuer's JWKS otherwise. */
export const jwtConfigSchema = z.discriminatedUnion('algorithm', [
  z.object({
    algorithm: z.literal('HS256'),
    /** At least 32 bytes: RFC 7518 §3.2 requires a key as long as the hash. */
    secret: z.string().min(32, 'an HS256 secret needs at least 32 characters'),
    ...common,
  }),
  z.object({ algorithm: z.literal('RS256'), jwksUrl: z.url(), ...common }),
]);
export type JwtConfig = z.input<typeof jwtConfigSchema>;

export interface BuyerIdentity {
  /** The token's `sub`. */
  buyerId: string;
  scopes: string[];
  tokenId: string | undefined;
  expiresAt: Date;
  claims: JWTPayload;
}

export interface JwtVerifier {
  /** Resolves the identity, or throws a 401 AppError (503 when the issuer's keys cannot be fetched). */
  verify(token: string): Promise<BuyerIdentity>;
}

const REALM = 'boxoffice';

function invalidToken(description: string, cause?: unknown): AppError {
  return new AppError(PlatformErrors.InvalidToken, {
    detail: description,
    headers: {
      'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`,
    },
    cause,
  });
}

const JOSE_REASONS: Record<string, string> = {
  ERR_JWT_EXPIRED: 'The token has expired',
  ERR_JWT_CLAIM_VALIDATION_FAILED: 'A token claim is not valid',
  ERR_JOSE_ALG_NOT_ALLOWED: 'The token algorithm is not accepted',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'The token signature is not valid',
  ERR_JWS_INVALID: 'The token is malformed',
  ERR_JWT_INVALID: 'The token is malformed',
  ERR_JOSE_NOT_SUPPORTED: 'The token algorithm is not accepted',
  ERR_JWKS_NO_MATCHING_KEY: 'The token was signed with an unknown key',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'The token was signed with an unknown key',
};

function toAuthError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof joseErrors.JOSEError) {
    const reason = JOSE_REASONS[error.code];
    if (reason !== undefined) return invalidToken(reason, error);
  }
  // The issuer's key set could not be fetched (timeout, network, bad JWKS): not the client's fault.
  return new AppError(PlatformErrors.Unavailable, {
    detail: 'Tokens cannot be verified right now',
    headers: { 'Retry-After': '5' },
    cause: error,
  });
}

function identityOf(payload: JWTPayload): BuyerIdentity {
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255)
    throw invalidToken('The token has no usable subject');
  const scope: unknown = payload.scope;
  return {
    buyerId: payload.sub,
    scopes: typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [],
    tokenId: payload.jti,
    expiresAt: new Date((payload.exp ?? 0) * 1000),
    claims: payload,
  };
}

/**
 * Verified tokens kept by their exact text until they expire: a buyer sends the same token with
 * every request of a sale, and checking its signature again (an HMAC or RSA operation) is most of
 * what an answer costs when the answer is "sold out". A different signature is a different key, so
 * nothing unverified is ever served; an entry lives no longer than the token's own `exp`.
 */
const VERIFIED_TOKENS = 50_000;

export function createJwtVerifier(rawConfig: JwtConfig): JwtVerifier {
  const config = jwtConfigSchema.parse(rawConfig);
  const key: Uint8Array | JWTVerifyGetKey =
    config.algorithm === 'HS256'
      ? new TextEncoder().encode(config.secret)
      : createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 3_000, cooldownDuration: 30_000 });
  const options = {
    algorithms: [config.algorithm],
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: config.clockToleranceSeconds,
    // A token without an expiry would be valid forever once leaked.
    requiredClaims: ['sub', 'exp'],
  };
  const verified = new LRUCache<string, BuyerIdentity>({ max: VERIFIED_TOKENS });
  return {
    async verify(token) {
      const known = verified.get(token);
      if (known && known.expiresAt.getTime() > Date.now()) return known;
      try {
        const { payload } =
          key instanceof Uint8Array
            ? await jwtVerify(token, key, options)
            : await jwtVerify(token, key, options);
        const identity = identityOf(payload);
        const ttl = identity.expiresAt.getTime() - Date.now();
        if (ttl > 0) verified.set(token, identity, { ttl });
        return identity;
      } catch (error) {
        throw toAuthError(error);
      }
    },
  };
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** Verifies `Authorization: Bearer <JWT>` and puts the identity on `res.locals.buyer` (read it with `buyerOf`). */
export function requireBuyer(verifier: JwtVerifier): DocumentedMiddleware {
  return documented(
    async (req, res, next) => {
      const header = req.get('authorization');
      if (header === undefined || header.trim() === '') {
        // RFC 6750 §3.1: no error code when the request carried no credentials at all.
        throw new AppError(PlatformErrors.Unauthenticated, {
          detail: 'Send Authorization: Bearer <token>',
          headers: { 'WWW-Authenticate': `Bearer realm="${REALM}"` },
        });
      }
      const token = BEARER.exec(header.trim())?.[1];
      if (token === undefined) throw invalidToken('The Authorization header is not a bearer token');
      res.locals.buyer = await verifier.verify(token);
      next();
    },
    {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      security: [{ bearerAuth: [] }],
      problems: [PlatformErrors.Unauthenticated, PlatformErrors.InvalidToken, PlatformErrors.Unavailable],
    },
  );
}

/** The authenticated buyer of this request; a route without `requireBuyer` is a programming error. */
export function buyerOf(res: Response): BuyerIdentity {
  const buyer = res.locals.buyer as BuyerIdentity | undefined;
  if (buyer === undefined) throw new Error('buyerOf() called on a route without requireBuyer()');
  return buyer;
}

export interface LocalTokenOptions {
  secret: string;
  issuer: string;
  audience: string;
  buyerId: string;
  /** jose time span ('1h', '15m') or seconds from now. */
  expiresIn?: string | number;
  scopes?: string[];
}

/** An HS256 buyer token for local use (`npm start` prints one) and tests. */
export async function signLocalToken(options: LocalTokenOptions): Promise<string> {
  const jwt = new SignJWT(options.scopes ? { scope: options.scopes.join(' ') } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.buyerId)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setJti(crypto.randomUUID());
  const expiresIn = options.expiresIn ?? '1h';
  jwt.setExpirationTime(
    typeof expiresIn === 'number' ? Math.floor(Date.now() / 1000) + expiresIn : expiresIn,
  );
  return jwt.sign(new TextEncoder().encode(options.secret));
}

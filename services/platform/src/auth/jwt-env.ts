import { z } from 'zod';
import { createJwtVerifier, type JwtVerifier } from './jwt.ts';

/** The JWT settings every buyer-facing service reads from its environment. */
export const jwtEnvConfig = {
  JWT_ALGORITHM: z.enum(['HS256', 'RS256']).default('HS256'),
  /** HS256 secret (local use); RS256 uses JWT_JWKS_URL. */
  JWT_SECRET: z.string().optional(),
  JWT_JWKS_URL: z.url().optional(),
  JWT_ISSUER: z.string().default('boxoffice-local'),
  JWT_AUDIENCE: z.string().default('boxoffice'),
};

type JwtEnv = z.infer<z.ZodObject<typeof jwtEnvConfig>>;

/** A verifier pinned to the configured algorithm, issuer and audience (fails fast when incomplete). */
export function jwtVerifierFromEnv(config: JwtEnv): JwtVerifier {
  return createJwtVerifier(
    config.JWT_ALGORITHM === 'HS256'
      ? {
          algorithm: 'HS256',
          secret: config.JWT_SECRET ?? '',
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
        }
      : {
          algorithm: 'RS256',
          jwksUrl: config.JWT_JWKS_URL ?? '',
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
        },
  );
}

import { connectionConfig, env, loadConfig } from '@boxoffice/platform/config';
import { z } from 'zod';

export const queryApiConfig = z.object({
  ...connectionConfig,
  QUERY_API_PORT: env.port(8081),
  JWT_ALGORITHM: z.enum(['HS256', 'RS256']).default('HS256'),
  JWT_SECRET: z.string().optional(),
  JWT_JWKS_URL: z.url().optional(),
  JWT_ISSUER: z.string().default('boxoffice-local'),
  JWT_AUDIENCE: z.string().default('boxoffice'),
  SSE_HEARTBEAT_MS: env.milliseconds(15_000),
});
export type QueryApiConfig = z.infer<typeof queryApiConfig>;

export const readQueryApiConfig = (): QueryApiConfig => loadConfig(queryApiConfig);

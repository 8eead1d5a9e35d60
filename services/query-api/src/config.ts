import { jwtEnvConfig } from '@boxoffice/platform/auth/jwt-env';
import { connectionConfig, env, loadConfig } from '@boxoffice/platform/config';
import { z } from 'zod';

export const queryApiConfig = z.object({
  ...connectionConfig,
  QUERY_API_PORT: env.port(8081),
  ...jwtEnvConfig,
  SSE_HEARTBEAT_MS: env.milliseconds(15_000),
});
export type QueryApiConfig = z.infer<typeof queryApiConfig>;

export const readQueryApiConfig = (): QueryApiConfig => loadConfig(queryApiConfig);

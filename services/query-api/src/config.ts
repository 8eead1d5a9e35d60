import { jwtEnvConfig } from '@boxoffice/platform/auth/jwt-env';
import { connectionConfig, env, loadConfig } from '@boxoffice/platform/config';
import { trustedProxiesConfig } from '@boxoffice/platform/http/trusted-proxies';
import { z } from 'zod';

const count = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

export const queryApiConfig = z.object({
  ...connectionConfig,
  QUERY_API_PORT: env.port(8081),
  ...trustedProxiesConfig,
  ...jwtEnvConfig,
  SSE_HEARTBEAT_MS: env.milliseconds(15_000),
  /** Open availability streams this instance serves at most; beyond, 503 (another replica may serve). */
  SSE_MAX_STREAMS: count(10_000),
  /** Open availability streams per client address (several browsers may share one behind NAT); beyond, 429. */
  SSE_MAX_STREAMS_PER_CLIENT: count(20),
  // Reads are cheaper than purchases, so the budgets are larger than purchase-api's; same keys.
  RATE_LIMIT_PER_IP_PER_SECOND: count(500),
  RATE_LIMIT_PER_BUYER_PER_SECOND: count(20),
});
export type QueryApiConfig = z.infer<typeof queryApiConfig>;

export const readQueryApiConfig = (): QueryApiConfig => loadConfig(queryApiConfig);

import { jwtEnvConfig } from '@boxoffice/platform/auth/jwt-env';
import { connectionConfig, env, loadConfig } from '@boxoffice/platform/config';
import { trustedProxiesConfig } from '@boxoffice/platform/http/trusted-proxies';
import { z } from 'zod';

export const purchaseApiConfig = z.object({
  ...connectionConfig,
  PURCHASE_API_PORT: env.port(8080),
  ...trustedProxiesConfig,
  ...jwtEnvConfig,
  WEBHOOK_SECRET: z.string().min(16),
  /** How long a purchase waits for the allocator before answering 202. */
  REPLY_TIMEOUT_MS: env.milliseconds(2_000),
  RATE_LIMIT_PER_IP_PER_SECOND: z.coerce.number().int().min(1).default(200),
  RATE_LIMIT_PER_BUYER_PER_SECOND: z.coerce.number().int().min(1).default(10),
});
export type PurchaseApiConfig = z.infer<typeof purchaseApiConfig>;

export const readPurchaseApiConfig = (): PurchaseApiConfig => loadConfig(purchaseApiConfig);

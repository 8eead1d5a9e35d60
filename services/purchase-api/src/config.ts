import { jwtEnvConfig } from '@boxoffice/platform/auth/jwt-env';
import { connectionConfig, env, loadConfig } from '@boxoffice/platform/config';
import { trustedProxiesConfig } from '@boxoffice/platform/http/trusted-proxies';
import { salesChannel } from '@boxoffice/inventory';
import { z } from 'zod';

export const purchaseApiConfig = z.object({
  ...connectionConfig,
  PURCHASE_API_PORT: env.port(8080),
  ...trustedProxiesConfig,
  ...jwtEnvConfig,
  WEBHOOK_SECRET: z.string().min(16),
  /**
   * Sales channels a token's `channel` claim may name (a box office's or a partner's tokens); a token
   * without the claim sells `online`. A channel not listed is refused with 403.
   */
  SALES_CHANNELS: env.list().pipe(z.array(salesChannel)).default(['online']),
  /** How long a purchase waits for the allocator before answering 202. */
  REPLY_TIMEOUT_MS: env.milliseconds(2_000),
  /**
   * How long a command (purchase, release, payment) waits for Kafka's acknowledgement before the
   * caller hears `503 ordering-unavailable`. kafkajs alone retries for about a minute while a broker
   * is away; a partition leader's failover takes a few seconds, so this leaves room for one.
   */
  KAFKA_SEND_TIMEOUT_MS: env.milliseconds(5_000),
  RATE_LIMIT_PER_IP_PER_SECOND: z.coerce.number().int().min(1).default(200),
  RATE_LIMIT_PER_BUYER_PER_SECOND: z.coerce.number().int().min(1).default(10),
  /**
   * How often this instance looks for unpaid holds past their expiry, of every event, and sends their
   * `hold.expire` commands (one instance at a time does, under a PostgreSQL advisory lock).
   */
  EXPIRY_SWEEP_INTERVAL_MS: z.coerce.number().int().min(10).default(1_000),
  /** Most holds one sweep round sends (a full round is followed at once by the next). */
  EXPIRY_SWEEP_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1_000),
  /** A due hold still HELD this long after its command (an allocator's clock behind) is sent again. */
  EXPIRY_RESEND_AFTER_MS: z.coerce.number().int().min(1_000).default(30_000),
});
export type PurchaseApiConfig = z.infer<typeof purchaseApiConfig>;

export const readPurchaseApiConfig = (): PurchaseApiConfig => loadConfig(purchaseApiConfig);

import { env, kafkaEnvConfig, loadConfig } from '@boxoffice/platform/config';
import { z } from 'zod';

/** The analytics consumer reads the order-events topic and writes its projection; no Redis. */
export const analyticsConfig = z.object({
  DATABASE_URL: z.url(),
  ...kafkaEnvConfig,
  BOXOFFICE_PREFIX: z
    .string()
    .regex(/^[a-z0-9-]*$/)
    .default(''),
  PORT: env.port(8083),
  /**
   * The consumer group; default `boxoffice-analytics` (after BOXOFFICE_PREFIX). A rebuild empties the
   * projection tables and starts a new group (its ACL covers every name starting with the default),
   * which reads the topic from the beginning.
   */
  ANALYTICS_GROUP_ID: z.string().min(1).max(200).optional(),
});
export type AnalyticsConfig = z.infer<typeof analyticsConfig>;

export const readAnalyticsConfig = (): AnalyticsConfig => loadConfig(analyticsConfig);

/** The default group of an installation; ACLs grant the prefix (kafka-acls.ts). */
export function analyticsGroupId(prefix: string): string {
  return `${prefix ? `${prefix}.` : ''}boxoffice-analytics`;
}

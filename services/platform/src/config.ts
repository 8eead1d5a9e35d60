import { z } from 'zod';

/**
 * Parses a service's typed config from the environment. Every key has a default or is required;
 * a bad or missing value fails at start with every problem listed, never later at first use.
 */
export function loadConfig<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`)
    .join('\n');
  throw new Error(`invalid configuration:\n${problems}`);
}

/** Config building blocks shared by the services. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback),
  list: () =>
    z.string().transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    ),
  milliseconds: (fallback: number) => z.coerce.number().int().min(0).default(fallback),
  flag: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1'),
};

/**
 * How a Kafka client reaches and authenticates to the brokers (`kafkaConnection` in kafka.ts checks
 * the combination and reads the files). Without KAFKA_SASL_MECHANISM the client does not
 * authenticate: only for a local broker that accepts anyone.
 */
export const kafkaEnvConfig = {
  KAFKA_BROKERS: env.list(),
  KAFKA_SASL_MECHANISM: z
    .string()
    .transform((value) => value.toUpperCase())
    .pipe(z.enum(['SCRAM-SHA-512', 'SCRAM-SHA-256']))
    .optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  /** A file holding the username (a mounted Secret); instead of KAFKA_SASL_USERNAME. */
  KAFKA_SASL_USERNAME_FILE: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  /** A file holding the password (a mounted Secret); instead of KAFKA_SASL_PASSWORD. */
  KAFKA_SASL_PASSWORD_FILE: z.string().min(1).optional(),
  /** TLS to the brokers, verified against the system CAs or the CA below. */
  KAFKA_TLS: env.flag(false),
  /** PEM file of the CA that signed the brokers' certificates. */
  KAFKA_TLS_CA_FILE: z.string().min(1).optional(),
  /** The same CA as PEM text, for an env var taken from a Secret key (allocator pods). */
  KAFKA_TLS_CA: z.string().min(1).optional(),
};
export type KafkaEnv = z.infer<z.ZodObject<typeof kafkaEnvConfig>>;

/** Connection settings every service shares. */
export const connectionConfig = {
  DATABASE_URL: z.url(),
  REDIS_URL: z.url(),
  ...kafkaEnvConfig,
  /** Prefix for shared topics and Redis keys, so several installations (or test suites) share servers. */
  BOXOFFICE_PREFIX: z
    .string()
    .regex(/^[a-z0-9-]*$/)
    .default(''),
};

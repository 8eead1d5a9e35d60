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

/** Connection settings every service shares. */
export const connectionConfig = {
  DATABASE_URL: z.url(),
  REDIS_URL: z.url(),
  KAFKA_BROKERS: env.list(),
  /** Prefix for shared topics and Redis keys, so several installations (or test suites) share servers. */
  BOXOFFICE_PREFIX: z
    .string()
    .regex(/^[a-z0-9-]*$/)
    .default(''),
};

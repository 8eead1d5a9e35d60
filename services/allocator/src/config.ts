import { connectionConfig, env, loadConfig } from '@boxoffice/platform/config';
import { z } from 'zod';

/** One allocator Deployment serves one event; the operator sets these from the TicketEvent. */
export const allocatorConfig = z.object({
  ...connectionConfig,
  EVENT_NAMESPACE: z.string().min(1),
  EVENT_NAME: z.string().min(1),
  PORT: env.port(8082),
  /** Partitions of the event processed in parallel by this consumer. */
  PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(256).default(8),
  /** TEST-ONLY (fault-point.ts): where the fault-injection suite crashes the process. Unset in deployments. */
  BOXOFFICE_FAULT_POINT: z.string().optional(),
});
export type AllocatorConfig = z.infer<typeof allocatorConfig>;

export const readAllocatorConfig = (): AllocatorConfig => loadConfig(allocatorConfig);

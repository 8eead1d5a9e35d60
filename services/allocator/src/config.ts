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
  /**
   * A batch transaction only ever waits for PostgreSQL between its statements; one that sits idle
   * for longer belongs to a process that froze (SIGSTOP, a VM pause, a partition) with its shard's
   * and buyers' rows locked. PostgreSQL then ends the session, so the partition's next owner is not
   * blocked for as long as the zombie stays frozen, and the zombie's late commit is refused.
   */
  IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(5_000),
  /** TEST-ONLY (fault-point.ts): where the fault-injection suite crashes the process. Unset in deployments. */
  BOXOFFICE_FAULT_POINT: z.string().optional(),
});
export type AllocatorConfig = z.infer<typeof allocatorConfig>;

export const readAllocatorConfig = (): AllocatorConfig => loadConfig(allocatorConfig);

import { connectionConfig, env, loadConfig } from '@boxoffice/platform/config';
import { z } from 'zod';

export const operatorConfig = z.object({
  ...connectionConfig,
  PORT: env.port(8090),
  /** Image of the allocator Deployment the operator renders per event. */
  ALLOCATOR_IMAGE: z.string().default('ghcr.io/boxoffice-dev/allocator:latest'),
  /** Kafka bootstrap servers as seen from inside the cluster (KEDA's trigger, allocator pods). */
  CLUSTER_KAFKA_BROKERS: z.string().optional(),
  /** Secret (name/key) holding DATABASE_URL for allocator pods; unset: the URL is passed as plain env (local). */
  DATABASE_SECRET: z.string().optional(),
  RESYNC_SECONDS: z.coerce.number().int().min(1).default(30),
  RECONCILE_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
  /** Leader election: one replica reconciles; another takes over within the lease duration. */
  LEASE_NAMESPACE: z.string().default('default'),
  LEASE_NAME: z.string().default('boxoffice-operator'),
  LEASE_DURATION_SECONDS: z.coerce.number().int().min(2).default(15),
  LEASE_RENEW_INTERVAL_MS: env.milliseconds(4_000),
  /** This replica's identity (the pod name in a cluster). */
  POD_NAME: z.string().default(`${process.env.HOSTNAME ?? 'operator'}-${process.pid}`),
});
export type OperatorConfig = z.infer<typeof operatorConfig>;

export const readOperatorConfig = (): OperatorConfig => loadConfig(operatorConfig);

/**
 * Allocator process for one event (run with
 * `node --import @boxoffice/platform/telemetry/register services/allocator/src/main.ts`).
 */
import { kafkaProbe, probeDependencies } from '@boxoffice/platform/dependency-probes';
import { createKafka, kafkaConnection, sharedTopics } from '@boxoffice/platform/kafka';
import { createLogger } from '@boxoffice/platform/logger';
import { createMetricsRegistry } from '@boxoffice/platform/metrics';
import { startOpsServer } from '@boxoffice/platform/ops-server';
import { createRedis, redisKeyPrefix } from '@boxoffice/platform/redis';
import { stopTelemetry } from '@boxoffice/platform/telemetry/lifecycle';
import { startAllocator } from './allocator.ts';
import { readAllocatorConfig } from './config.ts';
import { faultPoints } from './fault-point.ts';
import { allocatorMetrics } from './metrics.ts';
import { allocatorPool } from './pool.ts';

const config = readAllocatorConfig();
const event = { namespace: config.EVENT_NAMESPACE, name: config.EVENT_NAME };
const logger = createLogger('allocator').child({ event: `${event.namespace}/${event.name}` });
const registry = createMetricsRegistry('allocator');

const pool = allocatorPool(config);
const redis = createRedis(config.REDIS_URL, { name: 'allocator' });
const kafka = createKafka({
  clientId: `allocator-${event.namespace}-${event.name}`,
  connection: kafkaConnection(config),
  logger,
});
const allocator = await startAllocator({
  event,
  pool,
  kafka,
  redis,
  prefix: redisKeyPrefix(config.BOXOFFICE_PREFIX),
  topics: sharedTopics(config.BOXOFFICE_PREFIX),
  metrics: allocatorMetrics(registry),
  logger,
  partitionsConcurrently: config.PARTITIONS_CONCURRENTLY,
  faults: faultPoints(config.BOXOFFICE_FAULT_POINT),
});
const probes = probeDependencies(registry, {
  postgresql: () => pool.query('SELECT 1'),
  redis: () => redis.ping(),
  kafka: kafkaProbe(kafka),
});
const ops = await startOpsServer({
  port: config.PORT,
  registry,
  checks: {
    consumer: () => allocator.joined(),
    postgres: async () => (await pool.query('SELECT 1')).rowCount === 1,
  },
});
logger.info({ port: config.PORT }, 'allocator started');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing the current batch and leaving the group');
    void (async () => {
      await allocator.stop();
      await probes.stop();
      ops.close();
      redis.disconnect();
      await pool.end();
      await stopTelemetry(); // the last batches' spans, before process.exit drops them
      process.exit(0);
    })();
  });
}

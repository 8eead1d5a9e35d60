/**
 * Analytics process: the sales projection of the order-events topic (run with
 * `node --import @boxoffice/platform/telemetry/register services/analytics/src/main.ts`).
 */
import { createKafka, kafkaConnection, sharedTopics } from '@boxoffice/platform/kafka';
import { createLogger } from '@boxoffice/platform/logger';
import { createMetricsRegistry } from '@boxoffice/platform/metrics';
import { startOpsServer } from '@boxoffice/platform/ops-server';
import { createPool } from '@boxoffice/platform/postgres';
import { stopTelemetry } from '@boxoffice/platform/telemetry/lifecycle';
import { analyticsGroupId, readAnalyticsConfig } from './config.ts';
import { startAnalyticsConsumer, type AnalyticsConsumer } from './consumer.ts';
import { analyticsMetrics } from './metrics.ts';

const config = readAnalyticsConfig();
const logger = createLogger('analytics');
const registry = createMetricsRegistry('analytics');
const pool = createPool(config.DATABASE_URL, 4);
const kafka = createKafka({ clientId: 'analytics', connection: kafkaConnection(config), logger });
const groupId = config.ANALYTICS_GROUP_ID ?? analyticsGroupId(config.BOXOFFICE_PREFIX);

// Alive (and not ready) while the consumer starts: it may wait for its topic.
const started: { consumer?: AnalyticsConsumer } = {};
const ops = await startOpsServer({
  port: config.PORT,
  registry,
  checks: {
    consumer: () => started.consumer?.joined() ?? false,
    postgres: async () => (await pool.query('SELECT 1')).rowCount === 1,
  },
});
const consumer = await startAnalyticsConsumer({
  kafka,
  pool,
  topic: sharedTopics(config.BOXOFFICE_PREFIX).orderEvents,
  groupId,
  logger,
  metrics: analyticsMetrics(registry),
});
started.consumer = consumer;
logger.info({ port: config.PORT, groupId }, 'analytics started');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing the current batch and leaving the group');
    void (async () => {
      await consumer.stop();
      ops.close();
      await pool.end();
      await stopTelemetry(); // the last batches' spans, before process.exit drops them
      process.exit(0);
    })();
  });
}

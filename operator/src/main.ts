/** The TicketEvent operator (run with `node --import @boxoffice/platform/telemetry/register operator/src/main.ts`). */
import { createKafka } from '@boxoffice/platform/kafka';
import { createLogger } from '@boxoffice/platform/logger';
import { createMetricsRegistry } from '@boxoffice/platform/metrics';
import { startOpsServer } from '@boxoffice/platform/ops-server';
import { createPool } from '@boxoffice/platform/postgres';
import { migrate } from '@boxoffice/store';
import { KubeConfig } from '@kubernetes/client-node';
import { Counter, Gauge, Histogram } from 'prom-client';
import { readOperatorConfig } from './config.ts';
import { startController } from './controller.ts';

const config = readOperatorConfig();
const logger = createLogger('operator');
const registry = createMetricsRegistry('operator');
const reconciles = new Counter({
  name: 'boxoffice_operator_reconciles_total',
  help: 'Reconciles by result',
  labelNames: ['result'],
  registers: [registry],
});
const duration = new Histogram({
  name: 'boxoffice_operator_reconcile_duration_seconds',
  help: 'Reconcile duration',
  labelNames: ['result'],
  registers: [registry],
});

await migrate(config.DATABASE_URL);
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();
const pool = createPool(config.DATABASE_URL, 4);
const admin = createKafka({ clientId: 'boxoffice-operator', brokers: config.KAFKA_BROKERS, logger }).admin();
await admin.connect();
const controller = await startController({
  kubeConfig,
  provision: { pool, admin },
  config,
  logger,
  onReconcile: (result, seconds) => {
    reconciles.inc({ result });
    duration.observe({ result }, seconds);
  },
});
new Gauge({
  name: 'boxoffice_operator_queue_depth',
  help: 'Keys waiting for a reconcile',
  registers: [registry],
  collect() {
    this.set(controller.queue.depth());
  },
});
const ops = await startOpsServer({
  port: config.PORT,
  registry,
  checks: { postgres: async () => (await pool.query('SELECT 1')).rowCount === 1 },
});
logger.info({ port: config.PORT }, 'operator started');

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping: finishing running reconciles');
    void (async () => {
      await controller.stop();
      ops.close();
      await admin.disconnect();
      await pool.end();
      process.exit(0);
    })();
  });
}

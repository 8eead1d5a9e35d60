/** The TicketEvent operator (run with `node --import @boxoffice/platform/telemetry/register operator/src/main.ts`). */
import { probeDependencies } from '@boxoffice/platform/dependency-probes';
import { createKafka, kafkaConnection } from '@boxoffice/platform/kafka';
import { createLogger } from '@boxoffice/platform/logger';
import { createMetricsRegistry } from '@boxoffice/platform/metrics';
import { startOpsServer } from '@boxoffice/platform/ops-server';
import { createPool } from '@boxoffice/platform/postgres';
import { migrate } from '@boxoffice/store';
import { KubeConfig } from '@kubernetes/client-node';
import { dependencyCallMetrics } from './client-metrics.ts';
import { readOperatorConfig } from './config.ts';
import { errorMessage, isConflict } from './errors.ts';
import { startController, type Controller } from './controller.ts';
import { LeaderElector } from './leader-election.ts';
import { operatorMetrics } from './metrics.ts';
import { saleMetrics } from './sale-metrics.ts';
import { ensureSharedTopics } from './shared-topics.ts';
import { startSaleObserver, type SaleObserver } from './sale-observer.ts';
import { topicBatcher } from './topic-batcher.ts';

const config = readOperatorConfig();
const logger = createLogger('operator');
const registry = createMetricsRegistry('operator');

await migrate(config.DATABASE_URL);
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();
// One connection per concurrent reconcile (each provisions in a transaction), and two for the
// sale observer and the probes.
const pool = createPool(config.DATABASE_URL, config.RECONCILE_CONCURRENCY + 2);
const admin = createKafka({
  clientId: 'boxoffice-operator',
  connection: kafkaConnection(config),
  logger,
}).admin();
const calls = dependencyCallMetrics(registry);
calls.countKubeRequests(kubeConfig.getCurrentCluster()?.server ?? 'https://kubernetes.default.svc');
calls.countKafkaRequests(admin);
calls.countPostgresStatements(pool);
await admin.connect();
await ensureSharedTopics(admin, config.BOXOFFICE_PREFIX);
// Reconciles running at once ensure their purchase topics in one batch.
const topics = topicBatcher(admin);

let controller: Controller | undefined;
let observer: SaleObserver | undefined;
let stopping = false;
const metrics = operatorMetrics(registry, {
  queueDepth: () => controller?.queue.depth() ?? 0,
  leading: () => elector.isLeader(),
  ticketEvents: () => controller?.ticketEvents() ?? [],
});
const sales = saleMetrics(registry, () => observer);
const probes = probeDependencies(registry, {
  postgresql: () => pool.query('SELECT 1'),
  kafka: () => admin.describeCluster(),
});
const elector = new LeaderElector({
  kubeConfig,
  namespace: config.LEASE_NAMESPACE,
  name: config.LEASE_NAME,
  identity: config.POD_NAME,
  leaseDurationSeconds: config.LEASE_DURATION_SECONDS,
  renewIntervalMs: config.LEASE_RENEW_INTERVAL_MS,
  onStartedLeading: async () => {
    logger.info({ identity: config.POD_NAME }, 'leading: starting the controller');
    try {
      controller = await startController({
        kubeConfig,
        provision: { pool, admin, ensureTopic: topics.ensure },
        config,
        logger,
        onResult: (result, seconds) => metrics.observe(result, seconds),
        onError: (error) => metrics.failed(error),
        onStep: (step, seconds) => metrics.step(step, seconds),
      });
      // The leader is the one process that always runs: it watches the sales and audits them.
      observer = startSaleObserver({
        pool,
        admin,
        namespace: config.WATCH_NAMESPACE,
        logger,
        intervalMs: config.SALE_OBSERVE_INTERVAL_MS,
        auditIntervalMs: config.INVENTORY_AUDIT_INTERVAL_MS,
        onError: (step) => sales.failed(step),
        onAudit: (audit) => sales.audited(audit),
      });
    } catch (error) {
      logger.error({ err: error }, 'could not start the controller; exiting');
      process.exit(1);
    }
  },
  onLeaseRequestFailed: (error, stillLeading) => {
    // A lost race with another candidate is how the Lease says "not you"; anything else is news.
    logger[isConflict(error) ? 'debug' : 'warn'](
      { err: errorMessage(error), stillLeading, lease: `${config.LEASE_NAMESPACE}/${config.LEASE_NAME}` },
      'lease request failed',
    );
  },
  // A deposed leader exits (as client-go's do) and comes back as a candidate: it never reconciles
  // beside the new leader.
  onStoppedLeading: () => {
    if (stopping) return;
    logger.error('lost the lease; exiting');
    process.exit(1);
  },
});
elector.start();

const ops = await startOpsServer({
  port: config.PORT,
  registry,
  checks: { postgres: async () => (await pool.query('SELECT 1')).rowCount === 1 },
});
logger.info(
  { port: config.PORT, identity: config.POD_NAME, namespace: config.WATCH_NAMESPACE ?? '(all)' },
  'operator started',
);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping: finishing running reconciles, releasing the lease');
    stopping = true;
    void (async () => {
      // Reconciles finish before the lease goes, so the next leader never overlaps with them.
      await controller?.stop();
      await observer?.stop();
      await probes.stop();
      await elector.stop({ release: true });
      ops.close();
      await admin.disconnect();
      await pool.end();
      process.exit(0);
    })();
  });
}

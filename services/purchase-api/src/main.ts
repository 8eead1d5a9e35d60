/** purchase-api (run with `node --import @boxoffice/platform/telemetry/register services/purchase-api/src/main.ts`). */
import { kafkaProbe, probeDependencies } from '@boxoffice/platform/dependency-probes';
import { onShutdownSignal } from '@boxoffice/platform/http/app';
import { createKafka, kafkaConnection } from '@boxoffice/platform/kafka';
import { createLogger } from '@boxoffice/platform/logger';
import { createPool } from '@boxoffice/platform/postgres';
import { createRedis } from '@boxoffice/platform/redis';
import { migrate } from '@boxoffice/store';
import { Partitioners } from 'kafkajs';
import { readPurchaseApiConfig } from './config.ts';
import { createPurchaseApi } from './service.ts';

const config = readPurchaseApiConfig();
const logger = createLogger('purchase-api');
await migrate(config.DATABASE_URL);
const pool = createPool(config.DATABASE_URL, 20);
const redis = createRedis(config.REDIS_URL, { name: 'purchase-api' });
// Its Kafka principal may only produce to purchase topics; the operator creates the shared topics.
const kafka = createKafka({ clientId: 'purchase-api', connection: kafkaConnection(config), logger });
// Not idempotent: commands of different orders need no mutual order, and a duplicate is harmless
// (the allocator de-duplicates by order id). The orders service coalesces its commands into few
// requests, with more than one in flight so a slow request does not stall every buyer. The expiry
// sweeper sends its hold.expire commands through it too.
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();

const { http, stop } = await createPurchaseApi({ config, pool, redis, producer, logger });
const probes = probeDependencies(http.registry, {
  postgresql: () => pool.query('SELECT 1'),
  redis: () => redis.ping(),
  kafka: kafkaProbe(kafka),
});
const server = await http.listen({ port: config.PURCHASE_API_PORT, host: '0.0.0.0' });
logger.info({ url: server.url }, 'purchase-api listening');
onShutdownSignal(async () => {
  await server.close({ drainDelayMs: 0, timeoutMs: 10_000 });
  await stop();
  await probes.stop();
  await producer.disconnect();
  redis.disconnect();
  await pool.end();
}, logger);

/** query-api (run with `node --import @boxoffice/platform/telemetry/register services/query-api/src/main.ts`). */
import { probeDependencies } from '@boxoffice/platform/dependency-probes';
import { onShutdownSignal } from '@boxoffice/platform/http/app';
import { createLogger } from '@boxoffice/platform/logger';
import { createPool } from '@boxoffice/platform/postgres';
import { createRedis } from '@boxoffice/platform/redis';
import { migrate } from '@boxoffice/store';
import { readQueryApiConfig } from './config.ts';
import { createQueryApi } from './service.ts';

const config = readQueryApiConfig();
const logger = createLogger('query-api');
await migrate(config.DATABASE_URL);
const pool = createPool(config.DATABASE_URL, 10);
const redis = createRedis(config.REDIS_URL, { name: 'query-api' });
const { http, stop } = createQueryApi({ config, pool, redis, logger });
const probes = probeDependencies(http.registry, {
  postgresql: () => pool.query('SELECT 1'),
  redis: () => redis.ping(),
});
const server = await http.listen({ port: config.QUERY_API_PORT, host: '0.0.0.0' });
logger.info({ url: server.url }, 'query-api listening');
onShutdownSignal(async () => {
  await server.close({ drainDelayMs: 0, timeoutMs: 10_000 });
  stop();
  await probes.stop();
  redis.disconnect();
  await pool.end();
}, logger);

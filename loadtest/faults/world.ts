import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Settings } from '../../scripts/deps/env-file.ts';
import { Tools } from '../../scripts/deps/tools.ts';
import type { FaultContext } from './sale.ts';
import { FaultableKafka, FaultablePostgres, FaultableRedis } from './servers.ts';

export interface FaultWorld {
  settings: Settings;
  servers: FaultContext['servers'];
  logDir: string;
  versions: string[];
  stop(): Promise<void>;
}

/** The suite's own PostgreSQL, Redis and Kafka (it kills them), and k6. */
export async function startFaultWorld(): Promise<FaultWorld> {
  const tools = new Tools();
  await tools.ensure();
  const settings: Settings = { ...(await tools.up()) };
  const [postgres, redis, kafka] = await Promise.all([
    FaultablePostgres.start(),
    FaultableRedis.start(),
    FaultableKafka.start(),
  ]);
  Object.assign(settings, { DATABASE_URL: postgres.url, REDIS_URL: redis.url, KAFKA_BROKERS: kafka.brokers });
  const versions = [
    await tools.version(settings).catch(() => 'k6'),
    (await postgresVersion(postgres.url)) ?? 'PostgreSQL',
  ];
  return {
    settings,
    servers: { postgres, redis, kafka },
    logDir: mkdtempSync(join(tmpdir(), 'boxoffice-faults-')),
    versions,
    async stop() {
      await Promise.all([kafka.remove(), redis.remove(), postgres.remove()]);
    },
  };
}

async function postgresVersion(url: string): Promise<string | undefined> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return `PostgreSQL ${(await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version}`;
  } catch {
    return undefined;
  } finally {
    await client.end();
  }
}

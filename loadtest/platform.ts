import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventKey } from '@boxoffice/inventory';
import { signLocalToken } from '@boxoffice/platform/auth/jwt';
import { createKafka, sharedTopics } from '@boxoffice/platform/kafka';
import { createLogger } from '@boxoffice/platform/logger';
import { createPool } from '@boxoffice/platform/postgres';
import { ensureTopic, migrate, provisionEvent } from '@boxoffice/store';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import { valuesSchema } from '../scripts/chart/values-schema.ts';
import type { Settings } from '../scripts/deps/env-file.ts';
import { grantComponentAcls } from '../scripts/deps/kafka-acls.ts';
import {
  componentUsernames,
  hasComponentPrincipals,
  kafkaConnectionFor,
  kafkaEnvFor,
  readKafkaUsers,
  type KafkaComponent,
} from '../scripts/deps/kafka-users.ts';
import { freePort } from '../scripts/deps/processes.ts';
import { LOCAL_DEVELOPMENT_ENV } from '../scripts/local/platform-env.ts';
import { startService, stopAll, waitReady, type PlatformProcess } from './platform-processes.ts';

/** HS256 secret shared by the services a load run starts and the tokens it signs. */
export const loadTestSecret = 'boxoffice-load-test-secret-at-least-32-characters';

/** A fresh database (so runs never see each other's orders), migrated; returns its URL. */
export async function freshDatabase(settings: Settings, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: settings.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(settings.DATABASE_URL!);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  return url.toString();
}

export interface LoadEvent extends EventKey {
  capacity: number;
  shards: number;
  perBuyerLimit: number;
}

/**
 * Creates the shared topics of `prefix`, grants the components their ACLs for it, and provisions
 * `events` (one ticket type, `standard`), as an installation and the operator would (with the
 * superuser). A broker that has just started may not lead its new partitions yet, so topic creation
 * is retried for a while.
 */
export async function provisionEvents(
  settings: Settings,
  databaseUrl: string,
  prefix: string,
  events: LoadEvent[],
): Promise<void> {
  const pool = createPool(databaseUrl);
  const kafka = createKafka({
    clientId: 'loadtest',
    connection: kafkaConnectionFor(settings, 'admin'),
    logger: createLogger('loadtest', 'fatal'),
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (hasComponentPrincipals(settings))
      await grantComponentAcls(admin, prefix, componentUsernames(readKafkaUsers(settings.KAFKA_USERS_FILE!)));
    const topics = sharedTopics(prefix);
    await retrying(() => ensureTopic(admin, topics.orderEvents, 1));
    await retrying(() => ensureTopic(admin, topics.deadLetter, 1));
    const now = Date.now();
    for (const event of events)
      await retrying(() =>
        provisionEvent(
          { pool, admin: admin as Admin },
          {
            namespace: event.namespace,
            name: event.name,
            displayName: `Load test ${event.name}`,
            venue: 'Load Test Arena',
            startsAt: new Date(now + 86_400_000).toISOString(),
            sales: {
              opensAt: new Date(now - 60_000).toISOString(),
              closesAt: new Date(now + 7_200_000).toISOString(),
              perBuyerLimit: event.perBuyerLimit,
              holdTtlSeconds: 7_200,
            },
            ticketTypes: [{ name: 'standard', priceMinor: 5000, currency: 'EUR', capacity: event.capacity }],
            shards: event.shards,
            paused: false,
          },
        ),
      );
  } finally {
    await admin.disconnect();
    await pool.end();
  }
}

async function retrying<T>(action: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (attempt >= attempts || !(error as { retriable?: boolean }).retriable) throw error;
      await sleep(500);
    }
  }
}

export interface ServiceOptions {
  settings: Settings;
  databaseUrl: string;
  prefix: string;
  logDir: string;
  /** Extra `node` flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /**
   * Run the services as `npm start` deploys them (the chart's defaults, see asDeployedEnv) instead
   * of the bench's lab settings (telemetry off, warnings only, rate limits out of the way). The
   * value is the OTLP endpoint traces go to.
   */
  asDeployed?: { otlpEndpoint: string };
}

/**
 * What the chart gives every component by default and `npm start` adds for the APIs: tracing with
 * the chart's sampler and ratio (exported to `otlpEndpoint`), the chart's log level, the services'
 * own rate limits, and X-Forwarded-For believed from loopback (where a local ingress would be).
 */
export function asDeployedEnv(otlpEndpoint: string, api: boolean): NodeJS.ProcessEnv {
  const telemetry = valuesSchema.shape.telemetry.parse(undefined);
  return {
    LOG_LEVEL: valuesSchema.shape.logLevel.parse(undefined),
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
    OTEL_TRACES_SAMPLER: telemetry.sampler,
    OTEL_TRACES_SAMPLER_ARG: String(telemetry.samplerRatio),
    ...(api ? LOCAL_DEVELOPMENT_ENV : {}),
  };
}

/**
 * Environment every boxoffice service of a load run shares, with the Kafka principal of the
 * component; rate limits out of the way unless the run is as deployed.
 */
export function serviceEnv(
  options: ServiceOptions,
  component?: KafkaComponent,
  api = false,
): NodeJS.ProcessEnv {
  return {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.settings.REDIS_URL,
    ...(component
      ? kafkaEnvFor(options.settings, component)
      : { KAFKA_BROKERS: options.settings.KAFKA_BROKERS }),
    BOXOFFICE_PREFIX: options.prefix,
    JWT_SECRET: loadTestSecret,
    WEBHOOK_SECRET: 'boxoffice-load-test-webhook-secret',
    ...(options.asDeployed
      ? asDeployedEnv(options.asDeployed.otlpEndpoint, api)
      : { RATE_LIMIT_PER_IP_PER_SECOND: '100000000', RATE_LIMIT_PER_BUYER_PER_SECOND: '100000' }),
  };
}

export async function startAllocator(
  options: ServiceOptions,
  event: EventKey,
  name = 'allocator',
  logName = name,
): Promise<PlatformProcess> {
  const port = await freePort();
  return startService(
    name,
    'allocator',
    port,
    {
      ...serviceEnv(options, 'allocator'),
      EVENT_NAMESPACE: event.namespace,
      EVENT_NAME: event.name,
      PORT: String(port),
    },
    options.logDir,
    options.nodeArgs,
    options.asDeployed !== undefined,
    logName,
  );
}

export async function startPurchaseApi(options: ServiceOptions): Promise<PlatformProcess> {
  const port = await freePort();
  return startService(
    'purchase-api',
    'purchase-api',
    port,
    { ...serviceEnv(options, 'purchase-api', true), PURCHASE_API_PORT: String(port) },
    options.logDir,
    options.nodeArgs,
    options.asDeployed !== undefined,
  );
}

export async function startQueryApi(options: ServiceOptions): Promise<PlatformProcess> {
  const port = await freePort();
  return startService(
    'query-api',
    'query-api',
    port,
    { ...serviceEnv(options, undefined, true), QUERY_API_PORT: String(port) },
    options.logDir,
    options.nodeArgs,
    options.asDeployed !== undefined,
  );
}

/** The analytics consumer (the sales projection), as its own Kafka principal. */
export async function startAnalytics(options: ServiceOptions): Promise<PlatformProcess> {
  const port = await freePort();
  return startService(
    'analytics',
    'analytics',
    port,
    { ...serviceEnv(options, 'analytics'), PORT: String(port) },
    options.logDir,
    options.nodeArgs,
  );
}

/** Waits for every process to be ready; stops them all if one is not. */
export async function allReady(processes: PlatformProcess[]): Promise<void> {
  try {
    await Promise.all(processes.map((p) => waitReady(p)));
  } catch (error) {
    await stopAll(processes);
    throw error;
  }
}

/** `count` buyer tokens (buyers `fan-0` …), written as a JSON array for k6's `open()`. */
export async function writeTokens(logDir: string, count: number, name = 'tokens.json'): Promise<string> {
  const tokens = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      signLocalToken({
        secret: loadTestSecret,
        issuer: 'boxoffice-local',
        audience: 'boxoffice',
        buyerId: `fan-${i}`,
        expiresIn: '3h',
      }),
    ),
  );
  const file = join(logDir, name);
  writeFileSync(file, JSON.stringify(tokens));
  return file;
}

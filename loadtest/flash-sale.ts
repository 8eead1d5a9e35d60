import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newOrderId } from '@boxoffice/inventory';
import { signLocalToken } from '@boxoffice/platform/auth/jwt';
import { createKafka, sharedTopics } from '@boxoffice/platform/kafka';
import { createLogger } from '@boxoffice/platform/logger';
import { createPool } from '@boxoffice/platform/postgres';
import { ensureTopic, eventCounters, invariantViolations, migrate, provisionEvent } from '@boxoffice/store';
import pg from 'pg';
import type { Settings } from '../scripts/deps/env-file.ts';
import { repoRoot } from '../scripts/deps/paths.ts';
import { freePort } from '../scripts/deps/processes.ts';
import { startService, stopAll, waitReady, type PlatformProcess } from './platform-processes.ts';

export interface FlashSaleOptions {
  settings: Settings;
  capacity: number;
  requests: number;
  buyers: number;
  shards: number;
  allocators: number;
}

export interface FlashSaleResult {
  k6ExitCode: number;
  k6Summary: string;
  violations: string[];
  counters: { capacity: number; held: number; sold: number; remaining: number };
  logDir: string;
}

const secret = 'flash-sale-load-test-secret-at-least-32-chars';

/**
 * One flash sale against the real purchase path: a fresh database and event, allocator processes,
 * purchase-api and query-api processes, k6 sending `requests` orders from `buyers` buyers for
 * `capacity` tickets; then the invariants checked in PostgreSQL. Stops everything it started.
 */
export async function runFlashSale(options: FlashSaleOptions): Promise<FlashSaleResult> {
  const { settings } = options;
  const run = newOrderId().slice(-12);
  const logDir = mkdtempSync(join(tmpdir(), 'boxoffice-flash-'));
  mkdirSync(logDir, { recursive: true });
  const database = `flash_${run}`;
  const admin = new pg.Client({ connectionString: settings.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(settings.DATABASE_URL!);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  await migrate(databaseUrl);

  const prefix = `flash-${run}`;
  const event = { namespace: 'loadtest', name: `flash-${run}` };
  const pool = createPool(databaseUrl);
  const kafka = createKafka({
    clientId: 'flash-sale',
    brokers: settings.KAFKA_BROKERS!.split(','),
    logger: createLogger('flash-sale', 'error'),
  });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  const topics = sharedTopics(prefix);
  await ensureTopic(kafkaAdmin, topics.orderEvents, 1);
  await ensureTopic(kafkaAdmin, topics.deadLetter, 1);
  const now = Date.now();
  await provisionEvent(
    { pool, admin: kafkaAdmin },
    {
      ...event,
      displayName: 'Flash Sale',
      venue: 'Load Test Arena',
      startsAt: new Date(now + 86_400_000).toISOString(),
      sales: {
        opensAt: new Date(now - 60_000).toISOString(),
        closesAt: new Date(now + 3_600_000).toISOString(),
        perBuyerLimit: 4,
        holdTtlSeconds: 3_600,
      },
      ticketTypes: [{ name: 'standard', priceMinor: 5000, currency: 'EUR', capacity: options.capacity }],
      shards: options.shards,
      paused: false,
    },
  );
  await kafkaAdmin.disconnect();

  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: settings.REDIS_URL,
    KAFKA_BROKERS: settings.KAFKA_BROKERS,
    BOXOFFICE_PREFIX: prefix,
    JWT_SECRET: secret,
    WEBHOOK_SECRET: 'flash-sale-webhook-secret',
    RATE_LIMIT_PER_IP_PER_SECOND: '1000000',
    RATE_LIMIT_PER_BUYER_PER_SECOND: '1000',
    EVENT_NAMESPACE: event.namespace,
    EVENT_NAME: event.name,
  };
  const processes: PlatformProcess[] = [];
  try {
    for (let i = 0; i < options.allocators; i++) {
      const port = await freePort();
      processes.push(
        startService(`allocator-${i}`, 'allocator', port, { ...env, PORT: String(port) }, logDir),
      );
    }
    const purchasePort = await freePort();
    const queryPort = await freePort();
    const purchase = startService(
      'purchase-api',
      'purchase-api',
      purchasePort,
      { ...env, PURCHASE_API_PORT: String(purchasePort) },
      logDir,
    );
    const query = startService(
      'query-api',
      'query-api',
      queryPort,
      { ...env, QUERY_API_PORT: String(queryPort) },
      logDir,
    );
    processes.push(purchase, query);
    await Promise.all(processes.map((p) => waitReady(p)));

    const tokens = await Promise.all(
      Array.from({ length: options.buyers }, (_, i) =>
        signLocalToken({
          secret,
          issuer: 'boxoffice-local',
          audience: 'boxoffice',
          buyerId: `fan-${i}`,
          expiresIn: '1h',
        }),
      ),
    );
    const tokenFile = join(logDir, 'tokens.json');
    writeFileSync(tokenFile, JSON.stringify(tokens));
    const k6 = await runK6(settings.K6_BIN!, [
      'run',
      '--quiet',
      '--no-usage-report',
      '-e',
      `PURCHASE_URL=${purchase.url}`,
      '-e',
      `QUERY_URL=${query.url}`,
      '-e',
      `EVENT=${event.namespace}/${event.name}`,
      '-e',
      `TOKENS=${tokenFile}`,
      '-e',
      `REQUESTS=${options.requests}`,
      join(repoRoot, 'loadtest', 'flash-sale.js'),
    ]);
    const [counters] = await eventCounters(pool, event);
    return {
      k6ExitCode: k6.code,
      k6Summary: k6.output,
      violations: await invariantViolations(pool),
      counters: counters!,
      logDir,
    };
  } finally {
    await stopAll(processes);
    await pool.end();
  }
}

function runK6(bin: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * npm run loadtest:steady-state — holds at a constant arrival rate through the real purchase path
 * (steady-state.js). RATE (default 200/s), DURATION (30s), P99_MS (250), SHARDS (4), ALLOCATORS (1).
 * Starts only PostgreSQL, Redis and Kafka (stopping those it started unless BOXOFFICE_KEEP_DEPS=1);
 * exits non-zero on any threshold or invariant failure.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from '@boxoffice/platform/postgres';
import { invariantViolations } from '@boxoffice/store';
import { startLoadDeps } from './deps.ts';
import { runK6 } from './k6.ts';
import {
  allReady,
  freshDatabase,
  provisionEvents,
  startAllocator,
  startPurchaseApi,
  writeTokens,
} from './platform.ts';
import { stopAll, type PlatformProcess } from './platform-processes.ts';

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const deps = await startLoadDeps();
const run = Date.now().toString(36);
const logDir = mkdtempSync(join(tmpdir(), 'boxoffice-steady-'));
const processes: PlatformProcess[] = [];
try {
  const databaseUrl = await freshDatabase(deps.settings, `steady_${run}`);
  const prefix = `steady-${run}`;
  const event = { namespace: 'loadtest', name: `steady-${run}` };
  const shards = Number(env('SHARDS', '4'));
  await provisionEvents(deps.settings, databaseUrl, prefix, [
    { ...event, capacity: 100_000_000, shards, perBuyerLimit: 1_000 },
  ]);
  const service = { settings: deps.settings, databaseUrl, prefix, logDir };
  for (let i = 0; i < Number(env('ALLOCATORS', '1')); i++)
    processes.push(await startAllocator(service, event, `allocator-${i}`));
  const purchase = await startPurchaseApi(service);
  processes.push(purchase);
  await allReady(processes);
  const k6 = await runK6(
    deps.settings.K6_BIN!,
    'steady-state.js',
    {
      PURCHASE_URL: purchase.url,
      EVENT: `${event.namespace}/${event.name}`,
      TOKENS: await writeTokens(logDir, 5_000),
      RATE: env('RATE', '200'),
      DURATION: env('DURATION', '30s'),
      P99_MS: env('P99_MS', '250'),
    },
    join(logDir, 'summary.json'),
  );
  await stopAll(processes);
  const pool = createPool(databaseUrl);
  const violations = await invariantViolations(pool);
  await pool.end();
  console.log(k6.output);
  console.log(`invariant violations: ${violations.length}; logs: ${logDir}`);
  for (const violation of violations) console.error(`  ${violation}`);
  process.exitCode = k6.code === 0 && violations.length === 0 ? 0 : 1;
} finally {
  await stopAll(processes);
  await deps.stop();
}

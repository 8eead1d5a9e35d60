/**
 * npm run loadtest:read-mix — catalog and availability reads against query-api (read-mix.js).
 * EVENTS (default 20 provisioned events), RATE (500/s), DURATION (30s), P99_MS (100).
 * Starts only what query-api needs (stopping what it started unless BOXOFFICE_KEEP_DEPS=1); exits
 * non-zero on any threshold failure.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoadDeps } from './deps.ts';
import { runK6 } from './k6.ts';
import { allReady, freshDatabase, provisionEvents, startQueryApi } from './platform.ts';
import { stopAll, type PlatformProcess } from './platform-processes.ts';

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const deps = await startLoadDeps();
const run = Date.now().toString(36);
const logDir = mkdtempSync(join(tmpdir(), 'boxoffice-reads-'));
const processes: PlatformProcess[] = [];
try {
  const databaseUrl = await freshDatabase(deps.settings, `reads_${run}`);
  const prefix = `reads-${run}`;
  const events = Array.from({ length: Number(env('EVENTS', '20')) }, (_, i) => ({
    namespace: `organizer-${i % 4}`,
    name: `concert-${i}`,
    capacity: 1_000 * (i + 1),
    shards: 1 + (i % 4),
    perBuyerLimit: 4,
  }));
  await provisionEvents(deps.settings, databaseUrl, prefix, events);
  const query = await startQueryApi({ settings: deps.settings, databaseUrl, prefix, logDir });
  processes.push(query);
  await allReady(processes);
  const k6 = await runK6(
    deps.settings.K6_BIN!,
    'read-mix.js',
    {
      QUERY_URL: query.url,
      EVENTS: events.map((e) => `${e.namespace}/${e.name}`).join(','),
      RATE: env('RATE', '500'),
      DURATION: env('DURATION', '30s'),
      P99_MS: env('P99_MS', '100'),
    },
    join(logDir, 'summary.json'),
  );
  console.log(k6.output);
  console.log(`logs: ${logDir}`);
  process.exitCode = k6.code === 0 ? 0 : 1;
} finally {
  await stopAll(processes);
  await deps.stop();
}

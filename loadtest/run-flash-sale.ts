/**
 * npm run loadtest:flash-sale — a flash sale against the real purchase path (see flash-sale.ts).
 * Starts the dependencies it needs (not the Kubernetes control plane), exits non-zero on any k6
 * threshold or invariant failure. Sizes: CAPACITY, REQUESTS, BUYERS, SHARDS, ALLOCATORS.
 */
import { Kafka } from '../scripts/deps/kafka.ts';
import { Postgres } from '../scripts/deps/postgres.ts';
import { Redis } from '../scripts/deps/redis.ts';
import { Tools } from '../scripts/deps/tools.ts';
import { runFlashSale } from './flash-sale.ts';

const settings = {};
for (const part of [new Postgres(), new Redis(), new Kafka(), new Tools()]) {
  const external = part.external();
  if (!external) await part.ensure();
  Object.assign(settings, external ?? (await part.up()));
}
const size = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const result = await runFlashSale({
  settings,
  capacity: size('CAPACITY', 2_000),
  requests: size('REQUESTS', 10_000),
  buyers: size('BUYERS', 3_000),
  shards: size('SHARDS', 4),
  allocators: size('ALLOCATORS', 2),
});
console.log(result.k6Summary);
console.log(
  `counters: ${JSON.stringify(result.counters)}; invariant violations: ${result.violations.length}; logs: ${result.logDir}`,
);
for (const violation of result.violations) console.error(`  ${violation}`);
process.exitCode =
  result.k6ExitCode === 0 && result.violations.length === 0 && result.counters.remaining === 0 ? 0 : 1;

/**
 * npm run loadtest:flash-sale — a flash sale against the real purchase path (see flash-sale.ts).
 * Starts the dependencies it needs (not the Kubernetes control plane) and stops those it started
 * (BOXOFFICE_KEEP_DEPS=1 keeps them); exits non-zero on any k6 threshold or invariant failure.
 * Sizes: CAPACITY, REQUESTS, BUYERS, SHARDS, ALLOCATORS, VUS.
 */
import { startLoadDeps } from './deps.ts';
import { runFlashSale } from './flash-sale.ts';

const size = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const deps = await startLoadDeps();
try {
  const result = await runFlashSale({
    settings: deps.settings,
    capacity: size('CAPACITY', 2_000),
    requests: size('REQUESTS', 10_000),
    buyers: size('BUYERS', 3_000),
    shards: size('SHARDS', 4),
    allocators: size('ALLOCATORS', 2),
    vus: size('VUS', 64),
  });
  console.log(result.k6Summary);
  console.log(
    `answers: ${JSON.stringify(result.answers)}\ncounters: ${JSON.stringify(result.counters)}\n` +
      `sold out in ${result.seconds.toFixed(1)} s; invariant violations: ${result.violations.length}; logs: ${result.logDir}`,
  );
  for (const violation of result.violations) console.error(`  ${violation}`);
  process.exitCode = result.k6ExitCode === 0 && result.violations.length === 0 ? 0 : 1;
} finally {
  await deps.stop();
}

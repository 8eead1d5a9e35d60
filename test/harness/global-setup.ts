import { upAll } from '../../scripts/deps/deps.ts';

/**
 * Brings up the real dependencies once per test run (reusing any that already run, or that env
 * vars point at) and prints the server versions the run is testing against.
 */
export default async function globalSetup(): Promise<void> {
  const { versions, started } = await upAll();
  (globalThis as { boxofficeStartedParts?: string[] }).boxofficeStartedParts = started;
  console.log(`\nintegration tests run against:\n${versions.map((v) => `  ${v}`).join('\n')}\n`);
}

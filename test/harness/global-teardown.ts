import { parts } from '../../scripts/deps/deps.ts';

/**
 * Stops what this run started, unless BOXOFFICE_KEEP_DEPS=1 asks to keep it for the next run.
 * Parts that were already running (e.g. after `npm run deps -- up`) are left as they were.
 */
export default async function globalTeardown(): Promise<void> {
  if (process.env.BOXOFFICE_KEEP_DEPS === '1') return;
  const started = new Set((globalThis as { boxofficeStartedParts?: string[] }).boxofficeStartedParts ?? []);
  for (const part of [...parts].reverse()) if (started.has(part.name)) await part.down();
}

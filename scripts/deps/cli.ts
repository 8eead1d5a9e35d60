/**
 * boxoffice deps — brings up the real dependencies on loopback.
 *
 *   npm run deps -- ensure   install or build what is missing (cached under ~/.cache/boxoffice)
 *   npm run deps -- up       start what is not provided by env vars; write .boxoffice/deps.env
 *   npm run deps -- down     stop exactly the processes `up` started (by PID)
 *   npm run deps -- status   show which parts run and their versions
 */
import { ensureAll, downAll, statusAll, upAll } from './deps.ts';
import { DepsError } from './errors.ts';
import { envFile } from './paths.ts';

const commands: Record<string, () => Promise<void>> = {
  ensure: ensureAll,
  up: async () => {
    const { versions } = await upAll();
    console.log(`dependencies are up; settings in ${envFile}`);
    for (const line of versions) console.log(`  ${line}`);
  },
  down: downAll,
  status: statusAll,
};

const command = commands[process.argv[2] ?? ''];
if (!command) {
  console.error('usage: npm run deps -- ensure|up|down|status');
  process.exitCode = 2;
} else {
  try {
    await command();
  } catch (error) {
    if (!(error instanceof DepsError)) throw error;
    console.error(`boxoffice deps: ${error.message}`);
    process.exitCode = 1;
  }
}

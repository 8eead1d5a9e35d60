/**
 * npm start — brings up the platform locally. For now: the real dependencies, with their URLs
 * (the services, operator and workload runner join as they are built).
 */
import { upAll } from './deps/deps.ts';
import { DepsError } from './deps/errors.ts';
import { envFile } from './deps/paths.ts';

try {
  const { settings, versions } = await upAll();
  console.log('boxoffice dependencies are up:');
  for (const line of versions) console.log(`  ${line}`);
  console.log(
    `\n  DATABASE_URL=${settings.DATABASE_URL}\n  REDIS_URL=${settings.REDIS_URL}\n  KAFKA_BROKERS=${settings.KAFKA_BROKERS}`,
  );
  console.log(
    `  KUBECONFIG=${settings.KUBECONFIG}  (try: ${settings.KUBECTL ?? 'kubectl'} --kubeconfig=${settings.KUBECONFIG} get nodes)`,
  );
  console.log(`\nAll settings: ${envFile}. Stop with: npm run deps -- down`);
} catch (error) {
  if (!(error instanceof DepsError)) throw error;
  console.error(`boxoffice: ${error.message}`);
  process.exitCode = 1;
}

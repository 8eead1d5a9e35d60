import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { dependencies, kafkaEnv } from '@boxoffice/testkit';

const main = resolve(import.meta.dirname, '..', '..', 'allocator', 'src', 'main.ts');

/** Runs the real allocator process (as a pod would) so a test can kill it with SIGKILL. */
export function spawnAllocator(options: {
  databaseUrl: string;
  prefix: string;
  event: { namespace: string; name: string };
}): ChildProcess {
  const deps = dependencies();
  return spawn(process.execPath, [main], {
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: deps.redisUrl,
      ...kafkaEnv('allocator'),
      BOXOFFICE_PREFIX: options.prefix,
      EVENT_NAMESPACE: options.event.namespace,
      EVENT_NAME: options.event.name,
      PORT: '0',
      OTEL_SDK_DISABLED: 'true',
      LOG_LEVEL: 'warn',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/**
 * Loaded with `node --import @boxoffice/platform/telemetry/register <service>`: registers the ESM
 * loader hook that lets instrumentations patch modules imported with `import`, then starts the SDK,
 * all before the service's own modules load.
 */
import { register } from 'node:module';
import { sendRedisCommandsFromTheirCallers } from './redis-context.ts';
import { startTelemetry } from './sdk.ts';

register('import-in-the-middle/hook.mjs', import.meta.url);
if (startTelemetry(process.env.OTEL_SERVICE_NAME ?? 'boxoffice')) {
  // Loaded here, once the ioredis instrumentation is in place: see redis-context.ts.
  sendRedisCommandsFromTheirCallers(await import('ioredis'));
}

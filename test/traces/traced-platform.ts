import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { freePort } from '../../scripts/deps/processes.ts';
import { repoRoot } from '../../scripts/deps/paths.ts';
import type { PlatformProcess } from '../../loadtest/platform-processes.ts';

export { stopAll, waitReady } from '../../loadtest/platform-processes.ts';

type Service = 'purchase-api' | 'query-api' | 'allocator' | 'analytics';
const PORT_VARIABLE: Record<Service, string> = {
  'purchase-api': 'PURCHASE_API_PORT',
  'query-api': 'QUERY_API_PORT',
  allocator: 'PORT',
  analytics: 'PORT',
};

/** One JSON line of a service's log (pino). */
export type LogLine = Record<string, unknown> & { msg?: string; trace_id?: string; span_id?: string };

export interface TracedProcess extends PlatformProcess {
  /** The JSON lines the process has written to stdout so far. */
  logs: LogLine[];
  /** What it wrote to stderr, for a failure's message. */
  stderr: () => string;
}

/**
 * Starts a service as its pod does (telemetry loaded with `--import` before the service), exporting
 * its spans to the trace store under `serviceName`, logging JSON at debug level to a pipe the test
 * reads. Spans leave the process within ~100 ms (OTEL_BSP_SCHEDULE_DELAY) instead of 5 s.
 */
export async function startTraced(
  service: Service,
  serviceName: string,
  env: NodeJS.ProcessEnv,
): Promise<TracedProcess> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...env,
    [PORT_VARIABLE[service]]: String(port),
    OTEL_SERVICE_NAME: serviceName,
    OTEL_BSP_SCHEDULE_DELAY: '100',
    LOG_LEVEL: 'debug',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
  delete childEnv.OTEL_SDK_DISABLED;
  delete childEnv.OTEL_TRACES_EXPORTER;
  const child = spawn(
    process.execPath,
    ['--import', '@boxoffice/platform/telemetry/register', `services/${service}/src/main.ts`],
    { cwd: repoRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: LogLine[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      logs.push({ msg: line });
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  return { name: serviceName, child, url: `http://127.0.0.1:${port}`, logs, stderr: () => stderr };
}

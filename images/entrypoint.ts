/**
 * The boxoffice image's entrypoint: `node images/entrypoint.ts <service>` loads the telemetry
 * hooks, then the service (images/services.ts). The service stays in this process: node is the
 * container's PID 1 and receives the kubelet's SIGTERM itself, no init process in between.
 */
import { constants } from 'node:os';
import { SERVICES, isServiceName } from './services.ts';

const name = process.argv[2] ?? '';
if (!isServiceName(name)) {
  console.error(`usage: node images/entrypoint.ts <${Object.keys(SERVICES).join('|')}> (got "${name}")`);
  process.exit(64);
}

// The kernel drops a signal sent to a PID namespace's init unless init handles it, so node as PID
// 1 would ignore SIGTERM until the service installs its draining handler (a pod stopped during
// start-up would wait for SIGKILL). This handler gives SIGTERM and SIGINT their usual effect
// whenever it is the only one; once a service's handler is installed, that one drains and exits.
if (process.pid === 1) {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (process.listenerCount(signal) === 1) process.exit(128 + constants.signals[signal]);
    });
  }
}

process.env.OTEL_SERVICE_NAME ??= name;
// Telemetry first: its loader hook must be registered before the service's modules are imported.
await import('@boxoffice/platform/telemetry/register');
await import(SERVICES[name]);

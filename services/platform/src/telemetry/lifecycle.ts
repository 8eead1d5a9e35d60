/**
 * How the SDK started by register.ts is stopped, without loading the SDK into a process that runs
 * without it (OTEL_SDK_DISABLED, or no `--import`).
 */
let stopping: (() => Promise<void>) | undefined;

export function whenStopping(stop: () => Promise<void>): void {
  stopping = stop;
}

/**
 * Exports the spans still buffered (up to OTEL_BSP_SCHEDULE_DELAY's worth) and stops the SDK. A
 * process that ends with `process.exit` calls it first; one whose event loop drains needs not
 * (the SDK stops on `beforeExit`).
 */
export async function stopTelemetry(): Promise<void> {
  const stop = stopping;
  stopping = undefined;
  await stop?.().catch(() => undefined);
}

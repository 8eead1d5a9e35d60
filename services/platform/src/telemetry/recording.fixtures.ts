import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type Sampler,
} from '@opentelemetry/sdk-trace';

/**
 * The real OpenTelemetry SDK (context manager, W3C propagator, tracer provider) recording finished
 * spans in memory, for unit tests of what the code traces. Nothing is exported anywhere.
 */
export function recordingTelemetry(sampler: Sampler = new AlwaysOnSampler()): {
  exporter: InMemorySpanExporter;
  stop: () => Promise<void>;
} {
  process.env.OTEL_METRICS_EXPORTER = 'none';
  process.env.OTEL_LOGS_EXPORTER = 'none';
  const exporter = new InMemorySpanExporter();
  const sdk = new NodeSDK({
    sampler,
    // No resource detectors: their attributes arrive asynchronously and hold every export back.
    resourceDetectors: [],
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
    instrumentations: [],
  });
  sdk.start();
  return { exporter, stop: () => sdk.shutdown() };
}

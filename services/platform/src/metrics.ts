import { collectDefaultMetrics, Registry } from 'prom-client';

/** One registry per process with the default Node.js metrics, labelled by service. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

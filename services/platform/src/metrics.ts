import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * prom-client's default metrics that `promtool check metrics` refuses: gauges named with a counter's
 * `_total` suffix. Each is only the sum of the per-type gauge of the same name without the suffix
 * (`nodejs_active_handles{type}` and so on), so dropping them loses nothing:
 * `sum(nodejs_active_handles)` is the same number.
 */
export const DROPPED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/**
 * One registry per process with the default Node.js metrics (those promtool accepts), labelled by
 * service when one is named.
 */
export function createMetricsRegistry(service?: string): Registry {
  const registry = new Registry();
  if (service) registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  return registry;
}

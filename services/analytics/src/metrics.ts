import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The analytics consumer's metrics. `partition` is a partition of the order-events topic, `outcome`
 * a fixed set; never an order id.
 */
export interface AnalyticsMetrics {
  events: Counter;
  /** Order events behind the end of each partition after the last batch (what the projection trails by). */
  lag: Gauge;
  batchDuration: Histogram;
}

export function analyticsMetrics(registry: Registry): AnalyticsMetrics {
  return {
    events: new Counter({
      name: 'boxoffice_analytics_events_total',
      help: 'Order events read by the analytics consumer, by outcome (applied, duplicate, unreadable)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'boxoffice_analytics_consumer_lag',
      help: 'Order events on the partition not yet added to the sales projection, as of the last batch',
      labelNames: ['partition'],
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'boxoffice_analytics_batch_duration_seconds',
      help: 'Time to add one batch of order events to the projection (one transaction)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}

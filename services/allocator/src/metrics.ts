import { Counter, Histogram, type Registry } from 'prom-client';

export interface AllocatorMetrics {
  batchSize: Histogram;
  batchDuration: Histogram;
  outcomes: Counter;
  expiries: Counter;
  deadLetters: Counter;
  batchRetries: Counter;
}

export function allocatorMetrics(registry: Registry): AllocatorMetrics {
  return {
    batchSize: new Histogram({
      name: 'boxoffice_allocator_batch_size',
      help: 'Commands applied per shard transaction',
      labelNames: ['event', 'shard'],
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'boxoffice_allocator_batch_duration_seconds',
      help: 'Time to apply one partition batch: transaction, forwards, offset commit, replies',
      labelNames: ['event', 'shard'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    outcomes: new Counter({
      name: 'boxoffice_orders_total',
      help: 'Order command outcomes decided by the allocator',
      labelNames: ['event', 'outcome', 'reason'],
      registers: [registry],
    }),
    expiries: new Counter({
      name: 'boxoffice_hold_expiries_total',
      help: 'Holds expired and returned to their shard',
      labelNames: ['event'],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'boxoffice_dead_letters_total',
      help: 'Messages sent to the dead-letter topic',
      labelNames: ['event'],
      registers: [registry],
    }),
    batchRetries: new Counter({
      name: 'boxoffice_allocator_batch_retries_total',
      help: 'Shard transactions retried because PostgreSQL was unavailable (the commands wait, none is blamed)',
      labelNames: ['event', 'shard'],
      registers: [registry],
    }),
  };
}

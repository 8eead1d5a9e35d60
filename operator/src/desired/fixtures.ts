import { operatorConfig, type OperatorConfig } from '../config.ts';
import type { TicketEvent } from '../ticket-event.ts';

/** A TicketEvent as the API server returns it (defaults applied), for unit tests. */
export function sampleEvent(spec: Partial<TicketEvent['spec']> = {}): TicketEvent {
  return {
    apiVersion: 'boxoffice.dev/v1alpha1',
    kind: 'TicketEvent',
    metadata: { name: 'gala', namespace: 'demo', uid: '0b6a3c1e-5f7d-4c1a-9e61-2b1f5d0c9a77', generation: 1 },
    spec: {
      displayName: 'Gala',
      venue: 'Hall',
      startsAt: '2027-04-18T19:30:00Z',
      sales: {
        opensAt: '2027-01-01T09:00:00Z',
        closesAt: '2027-04-18T18:00:00Z',
        perBuyerLimit: 4,
        holdTtl: '10m',
      },
      ticketTypes: [{ name: 'standard', price: 4500, currency: 'EUR', capacity: 2000 }],
      shards: 4,
      allocator: { minReplicas: 0, maxReplicas: 4, lagThreshold: 100 },
      paused: false,
      deletionPolicy: 'Retain',
      ...spec,
    },
  };
}

export function sampleConfig(env: Record<string, string> = {}): OperatorConfig {
  return operatorConfig.parse({ ...sampleConfigEnv(), ...env });
}

/** The environment of sampleConfig. */
export function sampleConfigEnv(): Record<string, string> {
  return {
    DATABASE_URL: 'postgres://boxoffice@db:5432/boxoffice',
    REDIS_URL: 'redis://redis:6379',
    KAFKA_BROKERS: 'kafka-0:9092,kafka-1:9092',
    ALLOCATOR_IMAGE: 'registry.example/boxoffice/allocator:1.0.0',
    ALLOCATOR_SECRET_ENV: JSON.stringify({
      DATABASE_URL: 'boxoffice/DATABASE_URL',
      REDIS_URL: 'boxoffice-redis/url',
    }),
    LEASE_NAMESPACE: 'boxoffice',
    POD_NAME: 'operator-0',
  };
}

/**
 * The processes of the one platform image and where each listens: its config's default port
 * (`PORT`, `PURCHASE_API_PORT`, … in each service's config.ts), on which it also answers its
 * probes and serves /metrics.
 */
export const COMPONENTS = {
  operator: { port: 8090, portEnv: 'PORT' },
  'purchase-api': { port: 8080, portEnv: 'PURCHASE_API_PORT' },
  'query-api': { port: 8081, portEnv: 'QUERY_API_PORT' },
  allocator: { port: 8082, portEnv: 'PORT' },
  analytics: { port: 8083, portEnv: 'PORT' },
} as const;

export type ComponentName = keyof typeof COMPONENTS;

/** The name of a component's one container port; probes, Services and monitors refer to it by name. */
export const HTTP_PORT_NAME = 'http';

export const METRICS_PATH = '/metrics';

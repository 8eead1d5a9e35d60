/**
 * The services the boxoffice image runs, by the name given as the container's argument
 * (`args: ["purchase-api"]` in a pod spec). Each is a workspace module that starts the service
 * when imported.
 */
export const SERVICES = {
  operator: '@boxoffice/operator/main',
  'purchase-api': '@boxoffice/purchase-api/main',
  'query-api': '@boxoffice/query-api/main',
  allocator: '@boxoffice/allocator/main',
  analytics: '@boxoffice/analytics/main',
} as const;

export type ServiceName = keyof typeof SERVICES;

export function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(SERVICES, name);
}

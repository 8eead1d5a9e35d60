import { describe, expect, it } from '@jest/globals';
import type { CoreV1Api, V1Service } from '@kubernetes/client-node';
import type { LocalPod } from './pod-worker.ts';
import { serviceEndpoints } from './service-endpoints.ts';

const service: V1Service = {
  metadata: { name: 'boxoffice-purchase-api', namespace: 'platform' },
  spec: {
    selector: { 'app.kubernetes.io/component': 'purchase-api' },
    ports: [{ name: 'http', port: 80, targetPort: 'http' as never }],
  },
};
const core = { readNamespacedService: async () => service } as unknown as CoreV1Api;
const pod = (name: string, overrides: Partial<LocalPod>): LocalPod => ({
  namespace: 'platform',
  name,
  labels: { 'app.kubernetes.io/component': 'purchase-api' },
  ready: true,
  ports: [{ container: 'purchase-api', name: 'http', containerPort: 8080, hostPort: 8080 }],
  ...overrides,
});

describe('a Service on this machine', () => {
  it("reaches the host port of each ready pod it selects, by the target port's name", async () => {
    const pods = [
      pod('a', {}),
      pod('b', {
        ports: [{ container: 'purchase-api', name: 'http', containerPort: 8080, hostPort: 40_001 }],
      }),
      pod('starting', { ready: false }),
      pod('other', { labels: { 'app.kubernetes.io/component': 'query-api' } }),
      pod('elsewhere', { namespace: 'demo' }),
    ];
    expect(
      await serviceEndpoints(core, pods, { namespace: 'platform', name: service.metadata!.name!, port: 80 }),
    ).toEqual(['http://127.0.0.1:8080', 'http://127.0.0.1:40001']);
    expect(
      await serviceEndpoints(core, pods, {
        namespace: 'platform',
        name: service.metadata!.name!,
        port: 'http',
      }),
    ).toHaveLength(2);
    await expect(
      serviceEndpoints(core, pods, { namespace: 'platform', name: 'x', port: 443 }),
    ).rejects.toThrow(/no port 443/);
  });
});

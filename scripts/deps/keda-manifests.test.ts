import { describe, expect, it } from '@jest/globals';
import {
  kafkaTriggerAuthentication,
  kedaBindings,
  METRICS_API_SERVICE,
  METRICS_SERVICE_HOST,
  metricsApiService,
} from './keda-manifests.ts';

type Binding = {
  kind: string;
  metadata: { name: string; namespace?: string };
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string }[];
};

describe("the local KEDA's Kubernetes objects", () => {
  it("bind KEDA's own roles, and the API server's delegation roles, to KEDA's client-certificate user", () => {
    const bindings = kedaBindings('keda-operator') as Binding[];
    const toUser = bindings
      .filter((b) => b.subjects.some((s) => s.kind === 'User' && s.name === 'keda-operator'))
      .map((b) => `${b.kind} ${b.metadata.namespace ?? '-'} ${b.roleRef.kind}/${b.roleRef.name}`);
    expect(toUser).toEqual([
      'ClusterRoleBinding - ClusterRole/keda-operator',
      'RoleBinding keda Role/keda-operator',
      'ClusterRoleBinding - ClusterRole/system:auth-delegator',
      'RoleBinding kube-system Role/extension-apiserver-authentication-reader',
    ]);
    // Nothing more: in particular no binding to cluster-admin.
    expect(bindings.map((b) => b.roleRef.name)).not.toContain('cluster-admin');
  });

  it('register the external metrics API at the loopback port, trusted by the KEDA CA only', () => {
    const [service, apiService] = metricsApiService(41234, 'PEM') as [
      { spec: { type: string; externalName: string; ports: { port: number }[] } },
      { metadata: { name: string }; spec: Record<string, unknown> },
    ];
    expect(service.spec).toEqual({
      type: 'ExternalName',
      externalName: '127.0.0.1',
      ports: [{ name: 'https', port: 41234 }],
    });
    expect(apiService.metadata.name).toBe(METRICS_API_SERVICE);
    expect(apiService.spec).toMatchObject({
      service: { name: 'keda-metrics-apiserver', namespace: 'keda', port: 41234 },
      group: 'external.metrics.k8s.io',
      version: 'v1beta1',
      caBundle: Buffer.from('PEM').toString('base64'),
    });
    expect(apiService.spec).not.toHaveProperty('insecureSkipTLSVerify');
    expect(METRICS_SERVICE_HOST).toBe('keda-metrics-apiserver.keda.svc');
  });

  it("give KEDA's Kafka scaler its credentials beside the ScaledObjects, in the platform's namespace", () => {
    const [secret, auth] = kafkaTriggerAuthentication('boxoffice', {
      username: 'boxoffice-keda',
      password: 'keda-secret-1',
      ca: 'PEM',
    }) as [
      { metadata: { namespace: string }; stringData: Record<string, string> },
      { kind: string; metadata: { name: string; namespace: string }; spec: { secretTargetRef: unknown[] } },
    ];
    expect(secret.metadata.namespace).toBe('boxoffice');
    expect(secret.stringData).toEqual({ username: 'boxoffice-keda', password: 'keda-secret-1', ca: 'PEM' });
    expect(auth.kind).toBe('TriggerAuthentication');
    expect(auth.metadata).toMatchObject({ name: 'boxoffice-keda-kafka', namespace: 'boxoffice' });
    expect(auth.spec.secretTargetRef).toEqual([
      { parameter: 'username', name: 'boxoffice-keda-kafka', key: 'username' },
      { parameter: 'password', name: 'boxoffice-keda-kafka', key: 'password' },
      { parameter: 'ca', name: 'boxoffice-keda-kafka', key: 'ca' },
    ]);
    expect(JSON.stringify(auth)).not.toContain('keda-secret-1');
  });
});

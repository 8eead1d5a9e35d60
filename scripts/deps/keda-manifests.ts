/**
 * The Kubernetes objects the local KEDA needs besides its processes: its namespace, its identity's
 * bindings to KEDA's own roles and the aggregation-layer registration of its metrics server
 * (applied by keda.ts); and the Kafka credentials its scaler uses for one platform's ScaledObjects,
 * which whoever installs the platform puts beside them (the tests' fixtures; the chart's own
 * templates for `npm start`). Pure functions of names and ports.
 */

export const KEDA_NAMESPACE = 'keda';
/** The TriggerAuthentication (and its Secret) the operator points its ScaledObjects at (KEDA_KAFKA_TRIGGER_AUTHENTICATION). */
export const KEDA_TRIGGER_AUTHENTICATION = 'boxoffice-keda-kafka';
const METRICS_SERVICE = 'keda-metrics-apiserver';
export const METRICS_API_SERVICE = 'v1beta1.external.metrics.k8s.io';
/** The host name the API server checks the metrics server's certificate against (service.namespace.svc). */
export const METRICS_SERVICE_HOST = `${METRICS_SERVICE}.${KEDA_NAMESPACE}.svc`;

type Manifest = Record<string, unknown>;

const labels = {
  'app.kubernetes.io/part-of': 'keda-operator',
  'app.kubernetes.io/managed-by': 'boxoffice-deps',
};

function binding(
  kind: 'ClusterRoleBinding' | 'RoleBinding',
  name: string,
  role: { kind: 'ClusterRole' | 'Role'; name: string },
  subjects: Manifest[],
  namespace?: string,
): Manifest {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, labels, ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...role },
    subjects,
  };
}

/**
 * KEDA's own bindings (config/rbac/role_binding.yaml and config/metrics-server/role_binding.yaml of
 * its module), with the local client-certificate user in place of the keda-operator service
 * account. The roles they bind are KEDA's, applied from its module as they are.
 */
export function kedaBindings(user: string): Manifest[] {
  const keda = [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }];
  return [
    binding('ClusterRoleBinding', 'keda-operator', { kind: 'ClusterRole', name: 'keda-operator' }, keda),
    binding('RoleBinding', 'keda-operator', { kind: 'Role', name: 'keda-operator' }, keda, KEDA_NAMESPACE),
    // The metrics server authenticates and authorizes the API server's proxied requests by delegation.
    binding(
      'ClusterRoleBinding',
      'keda-system-auth-delegator',
      { kind: 'ClusterRole', name: 'system:auth-delegator' },
      keda,
    ),
    binding(
      'RoleBinding',
      'keda-auth-reader',
      { kind: 'Role', name: 'extension-apiserver-authentication-reader' },
      keda,
      'kube-system',
    ),
    // The HPA controller reads external metrics (locally it runs as admin, which may anyway).
    binding(
      'ClusterRoleBinding',
      'keda-hpa-controller-external-metrics',
      { kind: 'ClusterRole', name: 'keda-external-metrics-reader' },
      [{ kind: 'ServiceAccount', name: 'horizontal-pod-autoscaler', namespace: 'kube-system' }],
    ),
  ];
}

export function kedaNamespace(): Manifest {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: KEDA_NAMESPACE, labels } };
}

/**
 * KEDA's Kafka principal as a TriggerAuthentication in the platform's namespace, beside the
 * ScaledObjects that name it (tenant isolation puts allocators there, where organizers read
 * nothing), with its Secret of KEDA's credentials only. The chart's templates/keda-kafka.yaml makes
 * the same pair.
 */
export function kafkaTriggerAuthentication(
  namespace: string,
  credentials: { username: string; password: string; ca?: string },
): Manifest[] {
  const data: Record<string, string> = { username: credentials.username, password: credentials.password };
  if (credentials.ca) data.ca = credentials.ca;
  const metadata = { name: KEDA_TRIGGER_AUTHENTICATION, namespace, labels };
  return [
    { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', stringData: data },
    {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'TriggerAuthentication',
      metadata,
      spec: {
        secretTargetRef: Object.keys(data).map((key) => ({
          parameter: key,
          name: KEDA_TRIGGER_AUTHENTICATION,
          key,
        })),
      },
    },
  ];
}

/**
 * The external metrics API, served by KEDA's metrics server on loopback. No kube-proxy routes a
 * ClusterIP here, so the Service is an ExternalName of 127.0.0.1: the aggregator dials that host at
 * the APIService's port and checks the certificate against `caBundle` for METRICS_SERVICE_HOST.
 */
export function metricsApiService(port: number, caBundle: string): Manifest[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: METRICS_SERVICE, namespace: KEDA_NAMESPACE, labels },
      spec: { type: 'ExternalName', externalName: '127.0.0.1', ports: [{ name: 'https', port }] },
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: METRICS_API_SERVICE, labels },
      spec: {
        service: { name: METRICS_SERVICE, namespace: KEDA_NAMESPACE, port },
        group: 'external.metrics.k8s.io',
        version: 'v1beta1',
        caBundle: Buffer.from(caBundle).toString('base64'),
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    },
  ];
}

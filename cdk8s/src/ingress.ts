/**
 * Both APIs behind one host name, each route to the API that serves it (templates/ingress.yaml).
 * The Ingress API cannot route by method, so routes are by path only (see the chart README).
 */
import * as kplus from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import type { Api, ApiComponent } from './api.ts';
import type { Installation } from './installation.ts';

export function platformIngress(
  scope: Construct,
  install: Installation,
  apis: Record<ApiComponent, Api>,
): void {
  const { ingress } = install.values;
  if (!ingress.enabled) return;
  const ports: Record<ApiComponent, number> = {
    'purchase-api': install.values.purchaseApi.service.port,
    'query-api': install.values.queryApi.service.port,
  };
  const resource = new kplus.Ingress(scope, 'ingress', {
    metadata: {
      name: install.names.fullname,
      namespace: install.namespace,
      labels: install.labels('ingress'),
      ...(Object.keys(ingress.annotations).length ? { annotations: ingress.annotations } : {}),
    },
    ...(ingress.className ? { className: ingress.className } : {}),
  });
  for (const host of ingress.hosts) {
    for (const route of ingress.routes) {
      const backend = kplus.IngressBackend.fromService(apis[route.service].service, {
        port: ports[route.service],
      });
      resource.addHostRule(host, route.path, backend, route.pathType as kplus.HttpIngressPathType);
    }
  }
  if (ingress.tls.length) {
    resource.addTls(
      ingress.tls.map((tls, index) => ({
        hosts: tls.hosts,
        secret: kplus.Secret.fromSecretName(scope, `tls-${index}`, tls.secretName),
      })),
    );
  }
}

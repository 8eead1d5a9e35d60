/**
 * Prometheus Operator objects, each behind its value: a ServiceMonitor for the APIs, PodMonitors
 * for the operator, for every allocator the operator writes and for analytics, and the alert rules.
 */
import { COMPONENTS, HTTP_PORT_NAME, LABEL, METRICS_PATH, PART_OF } from '@boxoffice/conventions';
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Installation } from './installation.ts';
import { allocatorNamespace } from './env.ts';
import { dashboardFiles, prometheusRulesSpec } from './sources.ts';

const API_VERSION = 'monitoring.coreos.com/v1';

export function monitoring(scope: Construct, install: Installation): void {
  const { serviceMonitor, podMonitor, prometheusRule, dashboards } = install.values.monitoring;
  const metadata = (name: string, labels: Record<string, string>) => ({
    name,
    namespace: install.namespace,
    labels: { ...install.labels('monitoring'), ...labels },
  });
  if (serviceMonitor.enabled) {
    new ApiObject(scope, 'service-monitor', {
      apiVersion: API_VERSION,
      kind: 'ServiceMonitor',
      metadata: metadata(install.names.fullname, serviceMonitor.labels),
      spec: {
        selector: {
          matchLabels: { [LABEL.name]: install.names.name, [LABEL.instance]: install.release },
          matchExpressions: [{ key: LABEL.component, operator: 'In', values: ['purchase-api', 'query-api'] }],
        },
        // The services' own `service` label wins over the Service's name (as in the chart).
        endpoints: [
          { port: HTTP_PORT_NAME, path: METRICS_PATH, interval: serviceMonitor.interval, honorLabels: true },
        ],
      },
    });
  }
  if (podMonitor.enabled) {
    new ApiObject(scope, 'pod-monitor-operator', {
      apiVersion: API_VERSION,
      kind: 'PodMonitor',
      metadata: metadata(install.names.component('operators'), podMonitor.labels),
      spec: {
        selector: { matchLabels: install.selector('operator') },
        podMetricsEndpoints: [
          { port: HTTP_PORT_NAME, path: METRICS_PATH, interval: podMonitor.interval, honorLabels: true },
        ],
      },
    });
    new ApiObject(scope, 'pod-monitor-allocators', {
      apiVersion: API_VERSION,
      kind: 'PodMonitor',
      metadata: metadata(install.names.component('allocators'), podMonitor.labels),
      spec: {
        // Every event's allocator runs in the platform namespace.
        namespaceSelector: { matchNames: [allocatorNamespace(install)] },
        // The labels the operator gives allocator pods (operator/src/desired/metadata.ts); they have no named port.
        selector: { matchLabels: { [LABEL.partOf]: PART_OF, [LABEL.component]: 'allocator' } },
        podMetricsEndpoints: [
          {
            portNumber: COMPONENTS.allocator.port,
            path: METRICS_PATH,
            interval: podMonitor.interval,
            honorLabels: true,
          },
        ],
      },
    });
  }
  if (podMonitor.enabled && install.values.analytics.enabled) {
    new ApiObject(scope, 'pod-monitor-analytics', {
      apiVersion: API_VERSION,
      kind: 'PodMonitor',
      metadata: metadata(install.names.component('analytics'), podMonitor.labels),
      spec: {
        selector: { matchLabels: install.selector('analytics') },
        podMetricsEndpoints: [
          { port: HTTP_PORT_NAME, path: METRICS_PATH, interval: podMonitor.interval, honorLabels: true },
        ],
      },
    });
  }
  if (prometheusRule.enabled) {
    new ApiObject(scope, 'prometheus-rule', {
      apiVersion: API_VERSION,
      kind: 'PrometheusRule',
      metadata: metadata(install.names.fullname, prometheusRule.labels),
      spec: prometheusRulesSpec(),
    });
  }
  if (dashboards.enabled) {
    // One ConfigMap per dashboard, labelled for Grafana's dashboard sidecar.
    for (const [name, json] of dashboardFiles())
      new ApiObject(scope, `dashboard-${name}`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: install.names.component(`dashboard-${name}`),
          namespace: dashboards.namespace || install.namespace,
          labels: { ...install.labels('monitoring'), ...dashboards.labels },
          ...(Object.keys(dashboards.annotations).length > 0 ? { annotations: dashboards.annotations } : {}),
        },
        data: { [`boxoffice-${name}.json`]: json },
      });
  }
}

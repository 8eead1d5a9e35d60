/**
 * The chart writes the platform's conventions in its templates; @boxoffice/conventions is their one
 * definition (the operator's allocator Deployment and the cdk8s app are built from it). These
 * checks hold the chart to it: labels, ports, probes, security contexts, the /tmp volume.
 */
import { describe, expect, it } from '@jest/globals';
import { allocatorConfig } from '@boxoffice/allocator/config';
import { analyticsConfig } from '@boxoffice/analytics/config';
import {
  COMPONENTS,
  containerProbes,
  HTTP_PORT_NAME,
  LABEL,
  platformLabels,
  RESTRICTED_CONTAINER_SECURITY_CONTEXT,
  RESTRICTED_POD_SECURITY_CONTEXT,
  selectorLabels,
  tmpVolume,
  tmpVolumeMount,
  type ComponentName,
} from '@boxoffice/conventions';
import { operatorConfig } from '@boxoffice/operator/config';
import { childLabels } from '@boxoffice/operator/desired/index';
import { sampleEvent } from '@boxoffice/operator/desired/fixtures';
import { purchaseApiConfig } from '@boxoffice/purchase-api/config';
import { queryApiConfig } from '@boxoffice/query-api/config';
import type { z } from 'zod';
import { find, plainEnv, podTemplate, render } from './helm.ts';

const workloads = ['operator', 'purchase-api', 'query-api', 'analytics'] as const;

describe("the chart's workloads, held to @boxoffice/conventions", () => {
  it.each(workloads)(
    '%s carries the platform labels (plus helm.sh/chart) and selects by the selector labels',
    async (component) => {
      const deployment = find(await render(), 'Deployment', `-${component}`);
      const values = { name: 'boxoffice', instance: 'boxoffice', component };
      expect(deployment.metadata.labels).toEqual({
        ...platformLabels({ ...values, managedBy: 'Helm', version: '0.1.0' }),
        'helm.sh/chart': 'boxoffice-0.1.0',
      });
      expect((deployment.spec as { selector: unknown }).selector).toEqual({
        matchLabels: selectorLabels(values),
      });
    },
  );

  it.each(workloads)(
    "%s listens on its component's port, named http, and is probed there",
    async (component) => {
      const pod = podTemplate(find(await render(), 'Deployment', `-${component}`)).spec;
      const container = pod.containers[0]!;
      const { port, portEnv } = COMPONENTS[component];
      expect(container.ports).toEqual([{ name: HTTP_PORT_NAME, containerPort: port, protocol: 'TCP' }]);
      expect(container.env).toContainEqual({ name: portEnv, value: String(port) });
      expect(container).toMatchObject(containerProbes(HTTP_PORT_NAME));
    },
  );

  it.each(workloads)('%s runs restricted, writing only the /tmp emptyDir', async (component) => {
    const pod = podTemplate(find(await render(), 'Deployment', `-${component}`)).spec;
    expect(pod.securityContext).toEqual(RESTRICTED_POD_SECURITY_CONTEXT);
    expect(pod.volumes).toEqual([tmpVolume()]);
    expect(pod.containers[0]!.securityContext).toEqual(RESTRICTED_CONTAINER_SECURITY_CONTEXT);
    expect((pod.containers[0] as { volumeMounts?: unknown }).volumeMounts).toEqual([tmpVolumeMount()]);
  });

  it('gives the operator the restricted allocator security context', async () => {
    const env = plainEnv(podTemplate(find(await render(), 'Deployment', '-operator')).spec.containers[0]!);
    expect(JSON.parse(env.ALLOCATOR_SECURITY_CONTEXT!)).toEqual(RESTRICTED_CONTAINER_SECURITY_CONTEXT);
  });

  it('scrapes allocators by the labels and on the port the operator gives them', async () => {
    const monitor = find(
      await render({ set: { 'monitoring.podMonitor.enabled': 'true' } }),
      'PodMonitor',
      '-allocators',
    ).spec as {
      selector: { matchLabels: Record<string, string> };
      podMetricsEndpoints: { portNumber: number }[];
    };
    expect(childLabels(sampleEvent().metadata)).toMatchObject(monitor.selector.matchLabels);
    expect(monitor.selector.matchLabels).toEqual({
      [LABEL.partOf]: 'boxoffice',
      [LABEL.component]: 'allocator',
    });
    expect(monitor.podMetricsEndpoints[0]!.portNumber).toBe(COMPONENTS.allocator.port);
  });
});

describe("the conventions' ports", () => {
  const configs: Record<ComponentName, z.ZodObject> = {
    operator: operatorConfig,
    'purchase-api': purchaseApiConfig,
    'query-api': queryApiConfig,
    allocator: allocatorConfig,
    analytics: analyticsConfig,
  };

  it.each(Object.keys(configs) as ComponentName[])(
    "are where %s listens by default (its config's port)",
    (component) => {
      const { port, portEnv } = COMPONENTS[component];
      expect(configs[component].shape[portEnv]!.parse(undefined)).toBe(port);
    },
  );
});

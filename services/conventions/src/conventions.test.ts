import { describe, expect, it } from '@jest/globals';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import {
  containerProbes,
  containerSecurityContext,
  kplusProbes,
  kplusSecurityContext,
  kplusTmpVolume,
  platformLabels,
  RESTRICTED_CONTAINER_SECURITY_CONTEXT,
  selectorLabels,
  tmpVolume,
  tmpVolumeMount,
} from './index.ts';

describe('the cdk8s-plus forms of the conventions', () => {
  it('render the same probes, security context and /tmp volume as the plain forms the chart is checked against', () => {
    const chart = new Chart(Testing.app(), 'test');
    const tmp = kplusTmpVolume(chart);
    new kplus.Deployment(chart, 'workload', {
      volumes: [tmp.volume],
      containers: [
        {
          image: 'boxoffice',
          portNumber: 8080,
          ...kplusProbes(8080),
          volumeMounts: [tmp.mount],
          securityContext: kplusSecurityContext(RESTRICTED_CONTAINER_SECURITY_CONTEXT),
        },
      ],
    });
    const [deployment] = Testing.synth(chart) as {
      spec: { template: { spec: { volumes: unknown[]; containers: Record<string, unknown>[] } } };
    }[];
    const pod = deployment!.spec.template.spec;
    const container = pod.containers[0]!;
    const withScheme = (probe: { httpGet: object }) => ({
      ...probe,
      httpGet: { ...probe.httpGet, scheme: 'HTTP' },
    });
    const probes = containerProbes(8080);
    expect(container.startupProbe).toEqual(withScheme(probes.startupProbe));
    expect(container.livenessProbe).toEqual(withScheme(probes.livenessProbe));
    expect(container.readinessProbe).toEqual(withScheme(probes.readinessProbe));
    expect(container.securityContext).toEqual(RESTRICTED_CONTAINER_SECURITY_CONTEXT);
    expect(container.volumeMounts).toEqual([tmpVolumeMount()]);
    expect(pod.volumes).toEqual([tmpVolume()]);
  });
});

describe('a container security context from values', () => {
  it('leaves out an empty capabilities.add and an empty localhostProfile, as the API server requires', () => {
    const values = {
      ...RESTRICTED_CONTAINER_SECURITY_CONTEXT,
      capabilities: { drop: ['ALL'], add: [] },
      seccompProfile: { type: 'RuntimeDefault' as const, localhostProfile: '' },
    };
    expect(containerSecurityContext(values)).toEqual(RESTRICTED_CONTAINER_SECURITY_CONTEXT);
  });

  it('keeps what is set', () => {
    const values = {
      ...RESTRICTED_CONTAINER_SECURITY_CONTEXT,
      capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
      seccompProfile: { type: 'Localhost' as const, localhostProfile: 'profiles/boxoffice.json' },
    };
    expect(containerSecurityContext(values)).toEqual(values);
  });
});

describe('labels', () => {
  it('select by name, instance and component only; the rest are added around them', () => {
    const values = {
      name: 'boxoffice',
      instance: 'tickets',
      component: 'operator',
      managedBy: 'Helm',
      version: '1.0.0',
    };
    expect(selectorLabels(values)).toEqual({
      'app.kubernetes.io/name': 'boxoffice',
      'app.kubernetes.io/instance': 'tickets',
      'app.kubernetes.io/component': 'operator',
    });
    expect(platformLabels(values)).toEqual({
      ...selectorLabels(values),
      'app.kubernetes.io/part-of': 'boxoffice',
      'app.kubernetes.io/managed-by': 'Helm',
      'app.kubernetes.io/version': '1.0.0',
    });
  });

  it('have no instance or version where there is none (the allocators the operator writes per event)', () => {
    expect(
      platformLabels({
        name: 'boxoffice-allocator',
        component: 'allocator',
        managedBy: 'boxoffice-operator',
      }),
    ).toEqual({
      'app.kubernetes.io/name': 'boxoffice-allocator',
      'app.kubernetes.io/component': 'allocator',
      'app.kubernetes.io/part-of': 'boxoffice',
      'app.kubernetes.io/managed-by': 'boxoffice-operator',
    });
  });
});

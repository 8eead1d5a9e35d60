import { describe, expect, it } from '@jest/globals';
import { COMPONENTS, platformLabels } from '@boxoffice/conventions';
import { childLabels } from '../../operator/src/desired/metadata.ts';
import type { LocalPod } from './pod-worker.ts';
import { scrapeTargets } from './scrape-targets.ts';

/** A pod as the runner reports it, labelled as the chart labels its Deployments' pods. */
function chartPod(component: 'operator' | 'purchase-api' | 'query-api', hostPort: number): LocalPod {
  return {
    namespace: 'boxoffice',
    name: `boxoffice-${component}-5d8f-x2`,
    labels: platformLabels({ name: 'boxoffice', instance: 'boxoffice', component, managedBy: 'Helm' }),
    ready: true,
    ports: [{ container: component, name: 'http', containerPort: COMPONENTS[component].port, hostPort }],
  };
}

const allocator: LocalPod = {
  namespace: 'boxoffice',
  name: 'alloc-demo-spring-concert-1a2b3c-77f-q9',
  labels: childLabels({ namespace: 'demo', name: 'spring-concert' }),
  ready: false,
  ports: [{ container: 'allocator', containerPort: 8082, hostPort: 41234 }],
};

describe("the local Prometheus's targets", () => {
  it("are every component's port on loopback, with the job, namespace, pod and container of its pod", () => {
    const targets = scrapeTargets([
      chartPod('operator', 8090),
      chartPod('purchase-api', 8080),
      chartPod('query-api', 39001),
      allocator,
    ]);
    expect(targets).toEqual([
      {
        targets: ['127.0.0.1:41234'],
        labels: {
          job: 'boxoffice-allocator',
          namespace: 'boxoffice',
          pod: allocator.name,
          container: 'allocator',
        },
      },
      expect.objectContaining({
        targets: ['127.0.0.1:8090'],
        labels: expect.objectContaining({ job: 'boxoffice-operator' }),
      }),
      expect.objectContaining({
        targets: ['127.0.0.1:8080'],
        labels: expect.objectContaining({ job: 'boxoffice-purchase-api' }),
      }),
      {
        targets: ['127.0.0.1:39001'],
        labels: {
          job: 'boxoffice-query-api',
          namespace: 'boxoffice',
          pod: 'boxoffice-query-api-5d8f-x2',
          container: 'query-api',
        },
      },
    ]);
  });

  it('include a pod that is not ready yet (up = 0 says so), and skip a pod without a component', () => {
    const unlabelled: LocalPod = { ...allocator, name: 'something-else', labels: {} };
    expect(scrapeTargets([allocator, unlabelled]).map((t) => t.labels.pod)).toEqual([allocator.name]);
  });

  it('name every job so the alert rules and dashboards (job=~".*boxoffice.*") select it', () => {
    for (const target of scrapeTargets([chartPod('operator', 1), chartPod('query-api', 2), allocator]))
      expect(target.labels.job).toMatch(/boxoffice/);
  });
});

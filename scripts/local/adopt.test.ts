import { describe, expect, it } from '@jest/globals';
import { adoptIntoRelease, clusterScopedObjects } from './adopt.ts';

const rendered = `---
apiVersion: v1
kind: Service
metadata:
  name: boxoffice-purchase-api
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ticketevents.boxoffice.dev
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: boxoffice-operator
`;

describe("handing existing objects to npm start's release", () => {
  it("finds the chart's cluster-wide objects in its rendered manifests", () => {
    expect(clusterScopedObjects(rendered)).toEqual([
      { kind: 'CustomResourceDefinition', name: 'ticketevents.boxoffice.dev' },
      { kind: 'ClusterRole', name: 'boxoffice-operator' },
    ]);
  });

  it('labels and annotates those that exist and belong to another owner, and leaves its own alone', () => {
    const calls: string[][] = [];
    const kubectl = (...args: string[]): string => {
      calls.push(args);
      if (args[0] !== 'get') return '';
      return JSON.stringify({
        items: [
          { kind: 'CustomResourceDefinition', metadata: { name: 'ticketevents.boxoffice.dev' } },
          {
            kind: 'ClusterRole',
            metadata: {
              name: 'boxoffice-operator',
              annotations: {
                'meta.helm.sh/release-name': 'boxoffice',
                'meta.helm.sh/release-namespace': 'boxoffice',
              },
            },
          },
        ],
      });
    };
    const adopted = adoptIntoRelease(kubectl, clusterScopedObjects(rendered), {
      name: 'boxoffice',
      namespace: 'boxoffice',
    });
    expect(adopted).toEqual([{ kind: 'CustomResourceDefinition', name: 'ticketevents.boxoffice.dev' }]);
    expect(calls.slice(1)).toEqual([
      [
        'label',
        'customresourcedefinition/ticketevents.boxoffice.dev',
        'app.kubernetes.io/managed-by=Helm',
        '--overwrite',
      ],
      [
        'annotate',
        'customresourcedefinition/ticketevents.boxoffice.dev',
        'meta.helm.sh/release-name=boxoffice',
        'meta.helm.sh/release-namespace=boxoffice',
        '--overwrite',
      ],
    ]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { kubeRequestLabels, statementKind } from './client-metrics.ts';

describe('counting what the operator asks of its dependencies', () => {
  it.each([
    ['GET', '/apis/boxoffice.dev/v1alpha1/namespaces/demo/ticketevents/gala', 'get', 'ticketevents'],
    ['GET', '/apis/boxoffice.dev/v1alpha1/ticketevents?labelSelector=x', 'list', 'ticketevents'],
    ['GET', '/apis/apps/v1/namespaces/p/deployments?watch=true&resourceVersion=5', 'watch', 'deployments'],
    [
      'PATCH',
      '/apis/boxoffice.dev/v1alpha1/namespaces/demo/ticketevents/gala/status',
      'patch',
      'ticketevents/status',
    ],
    [
      'PATCH',
      '/apis/keda.sh/v1alpha1/namespaces/p/scaledobjects/alloc-x?fieldManager=m&force=true',
      'patch',
      'scaledobjects',
    ],
    ['POST', '/api/v1/namespaces/demo/events', 'create', 'events'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/p/leases/boxoffice-operator', 'update', 'leases'],
    ['DELETE', '/apis/apps/v1/namespaces/p/deployments/alloc-x', 'delete', 'deployments'],
    ['GET', '/api/v1/namespaces/demo', 'get', 'namespaces'],
    ['GET', '/apis/keda.sh/v1alpha1', 'discovery', ''],
  ])('names %s %s as the API server does: %s %s', (method, path, verb, resource) => {
    expect(kubeRequestLabels(method, path)).toEqual({ verb, resource });
  });

  it('labels a statement by its leading keyword only, whatever its text', () => {
    expect(statementKind('  select 1')).toBe('SELECT');
    expect(statementKind({ text: 'INSERT INTO events VALUES ($1)' })).toBe('INSERT');
    expect(statementKind('VACUUM')).toBe('OTHER');
    expect(statementKind(undefined)).toBe('OTHER');
  });
});

import { describe, expect, it } from '@jest/globals';
import { goBuildPlan } from './go-builds.ts';

const builds = [
  {
    part: 'kubernetes',
    what: 'the Kubernetes control plane v1.35.4',
    otherwise: 'set KUBECONFIG to a cluster',
  },
  { part: 'keda', what: 'KEDA v2.20.2', otherwise: 'set KUBECONFIG to a cluster with KEDA' },
];

describe('the Go builds of a first run', () => {
  it('without Go, fail once, naming every part that needs building and how to skip each', () => {
    expect(() => goBuildPlan(builds, undefined)).toThrow(
      /Go 1\.26\+ is required to build, once, .*: the Kubernetes control plane v1\.35\.4, KEDA v2\.20\.2\. Install it \(https:\/\/go\.dev\/dl\) and run again, or do without a part: kubernetes: set KUBECONFIG to a cluster; keda: set KUBECONFIG to a cluster with KEDA\./,
    );
  });

  it('with Go, say what is built where (once)', () => {
    expect(goBuildPlan(builds, '/usr/local/go/bin/go')).toMatch(
      /building the Kubernetes control plane v1\.35\.4, KEDA v2\.20\.2 from the Go module proxy into .*boxoffice/,
    );
  });

  it('need no Go at all once everything is cached', () => {
    expect(goBuildPlan([], undefined)).toBeUndefined();
  });
});

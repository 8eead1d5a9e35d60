import { afterAll, describe, expect, it } from '@jest/globals';
import { createNamespace, eventually, kubeConfig, kubectl, uniqueName } from '@boxoffice/testkit';
import { LeaderElector } from '../src/leader-election.ts';

describe('operator leader election on a Lease (real kube-apiserver)', () => {
  const electors: LeaderElector[] = [];
  let namespace: string | undefined;
  afterAll(async () => {
    await Promise.all(electors.map((e) => e.stop({ release: false })));
    if (namespace) await kubectl('delete', 'namespace', namespace, '--wait=false');
  });

  it('lets exactly one of two replicas lead, and the other take over within the lease duration when it dies', async () => {
    namespace = await createNamespace(uniqueName('lease'));
    const leading = new Set<string>();
    const candidate = (identity: string): LeaderElector => {
      const elector = new LeaderElector({
        kubeConfig: kubeConfig(),
        namespace: namespace!,
        name: 'boxoffice-operator',
        identity,
        leaseDurationSeconds: 3,
        renewIntervalMs: 500,
        onStartedLeading: () => void leading.add(identity),
        onStoppedLeading: () => void leading.delete(identity),
      });
      electors.push(elector);
      elector.start();
      return elector;
    };
    const a = candidate('replica-a');
    const b = candidate('replica-b');
    await eventually(() => expect(leading.size).toBe(1));
    await new Promise((r) => setTimeout(r, 2_000));
    expect(leading.size).toBe(1); // still one: the follower never preempts a live leader
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];

    const died = Date.now();
    await leader.stop({ release: false }); // a crash: no renewals, no release
    await eventually(() => expect(follower.isLeader()).toBe(true), { timeoutMs: 10_000 });
    expect(Date.now() - died).toBeLessThan(3_000 + 2 * 500 + 1_000);
  });
});

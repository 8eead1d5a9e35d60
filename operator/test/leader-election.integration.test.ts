import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNamespace, eventually, kubeConfig, kubectl, uniqueName } from '@boxoffice/testkit';
import { createServer, type AddressInfo } from 'node:net';
import { CoordinationV1Api, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { errorMessage } from '../src/errors.ts';
import { LeaderElector, type LeaderElectionOptions } from '../src/leader-election.ts';

const LEASE_SECONDS = 3;
const RENEW_MS = 500;
const HOUR_MS = 3_600_000;

describe('operator leader election on a Lease (real kube-apiserver)', () => {
  const leases = kubeConfig().makeApiClient(CoordinationV1Api);
  let electors: LeaderElector[] = [];
  let namespace: string | undefined;
  beforeAll(async () => {
    namespace = await createNamespace(uniqueName('lease'));
  });
  afterEach(async () => {
    await Promise.all(electors.map((e) => e.stop({ release: false })));
    electors = [];
  });
  afterAll(async () => {
    if (namespace) await kubectl('delete', 'namespace', namespace, '--wait=false');
  });

  const candidate = (
    lease: string,
    identity: string,
    options: Partial<LeaderElectionOptions> = {},
  ): LeaderElector => {
    const elector = new LeaderElector({
      kubeConfig: kubeConfig(),
      namespace: namespace!,
      name: lease,
      identity,
      leaseDurationSeconds: LEASE_SECONDS,
      renewIntervalMs: RENEW_MS,
      onStartedLeading: () => undefined,
      onStoppedLeading: () => undefined,
      ...options,
    });
    electors.push(elector);
    elector.start();
    return elector;
  };
  const readLease = (name: string): Promise<V1Lease> =>
    leases.readNamespacedLease({ name, namespace: namespace! });
  const ms = (time: Date | string | undefined): number => new Date(time!).getTime();

  it('lets exactly one of two replicas lead, and the other take over within the lease duration when it dies', async () => {
    const leading = new Set<string>();
    const callbacks = (identity: string) => ({
      onStartedLeading: () => void leading.add(identity),
      onStoppedLeading: () => void leading.delete(identity),
    });
    const a = candidate('boxoffice-operator', 'replica-a', callbacks('replica-a'));
    const b = candidate('boxoffice-operator', 'replica-b', callbacks('replica-b'));
    await eventually(() => expect(leading.size).toBe(1));
    await sleep(2_000);
    expect(leading.size).toBe(1); // still one: the follower never preempts a live leader
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];

    const died = Date.now();
    await leader.stop({ release: false }); // a crash: no renewals, no release
    await eventually(() => expect(follower.isLeader()).toBe(true), { timeoutMs: 10_000 });
    expect(Date.now() - died).toBeLessThan(LEASE_SECONDS * 1000 + 2 * RENEW_MS + 1_000);
  });

  it.each([
    ['an hour ahead (renewTime in the future)', HOUR_MS],
    ['an hour behind (renewTime in the past)', -HOUR_MS],
  ])(
    'a holder whose clock runs %s keeps the lease while it renews, and loses it a lease duration after it stops',
    async (_clock, skewMs) => {
      const lease = uniqueName('skew');
      const holder = candidate(lease, 'skewed-holder', { now: () => new Date(Date.now() + skewMs) });
      await eventually(() => expect(holder.isLeader()).toBe(true));
      let challengerStarted = false;
      const challenger = candidate(lease, 'challenger', {
        onStartedLeading: () => void (challengerStarted = true),
      });

      await sleep(3 * LEASE_SECONDS * 1000);
      expect(challengerStarted).toBe(false);
      expect(holder.isLeader()).toBe(true);
      const renewed = await readLease(lease);
      expect(renewed.spec?.holderIdentity).toBe('skewed-holder');
      expect(Math.abs(ms(renewed.spec?.renewTime) - (Date.now() + skewMs))).toBeLessThan(60_000);

      await holder.stop({ release: false }); // stops renewing, without handing over
      const last = await readLease(lease);
      expect(last.spec?.holderIdentity).toBe('skewed-holder');
      const lastRenewal = ms(last.spec?.renewTime) - skewMs; // on this machine's clock
      await eventually(() => expect(challenger.isLeader()).toBe(true), { timeoutMs: 15_000 });
      const taken = await readLease(lease);
      expect(taken.spec?.holderIdentity).toBe('challenger');
      expect(ms(taken.spec?.acquireTime) - lastRenewal).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000);
    },
  );

  it('keeps renewing while a slow onStartedLeading is still running', async () => {
    const lease = uniqueName('slow-start');
    let started = false;
    const leader = candidate(lease, 'slow-starter', {
      // A start that never finishes within the test (a controller waiting for its caches).
      onStartedLeading: () => {
        started = true;
        return new Promise<void>(() => undefined);
      },
    });
    await eventually(() => expect(started).toBe(true));
    let challengerStarted = false;
    candidate(lease, 'challenger', { onStartedLeading: () => void (challengerStarted = true) });

    const versions = new Set<string>();
    const until = Date.now() + 3 * LEASE_SECONDS * 1000;
    while (Date.now() < until) {
      const current = await readLease(lease);
      expect(current.spec?.holderIdentity).toBe('slow-starter');
      versions.add(current.metadata!.resourceVersion!);
      await sleep(RENEW_MS);
    }
    expect(versions.size).toBeGreaterThanOrEqual(4); // renewals went on
    expect(challengerStarted).toBe(false);
    expect(leader.isLeader()).toBe(true);
  });

  it('reports every lease request that fails, and never leads without the Lease', async () => {
    // An API server address nobody answers on (a port just closed): every read is refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = new KubeConfig();
    unreachable.loadFromClusterAndUser(
      { name: 'gone', server: `http://127.0.0.1:${port}`, skipTLSVerify: true },
      { name: 'nobody' },
    );
    const failures: { error: unknown; stillLeading: boolean }[] = [];
    let started = false;
    const elector = candidate(uniqueName('unreachable'), 'cut-off', {
      kubeConfig: unreachable,
      onStartedLeading: () => void (started = true),
      onLeaseRequestFailed: (error, stillLeading) => void failures.push({ error, stillLeading }),
    });
    await eventually(() => expect(failures.length).toBeGreaterThanOrEqual(3));
    expect(failures.every((f) => !f.stillLeading)).toBe(true);
    expect(errorMessage(failures[0]!.error)).toMatch(/ECONNREFUSED/);
    expect(started).toBe(false);
    expect(elector.isLeader()).toBe(false);
  });
});

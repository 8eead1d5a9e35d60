import { ApiException, CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';

/**
 * Lease times are MicroTime: the API server wants exactly six fractional digits, while
 * @kubernetes/client-node 2.0 would send a Date with three, so they are sent pre-formatted.
 */
function microTime(date: Date): Date {
  return date.toISOString().replace(/Z$/, '000Z') as unknown as Date;
}

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewIntervalMs: number;
  onStartedLeading: () => void | Promise<void>;
  onStoppedLeading: () => void | Promise<void>;
}

/**
 * Leader election on a coordination.k8s.io Lease, the way client-go does it: the holder renews
 * the lease; another replica takes it over only once it has not been renewed for the lease
 * duration. Every write carries the resourceVersion it read, so two candidates can never both win.
 */
export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly options: LeaderElectionOptions;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private renewedAt = 0;
  private stopped = false;

  constructor(options: LeaderElectionOptions) {
    this.options = options;
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    // client-go's renew deadline: a leader whose renewals fail steps down well before the lease
    // can expire, so it never reconciles beside a successor.
    const renewDeadlineMs = (this.options.leaseDurationSeconds * 1000 * 2) / 3;
    const tick = async (): Promise<void> => {
      if (this.stopped) return;
      let leading: boolean;
      try {
        leading = await this.tryAcquireOrRenew();
        if (leading) this.renewedAt = Date.now();
      } catch {
        // One failed request is not a lost lease.
        leading = this.leading && Date.now() - this.renewedAt < renewDeadlineMs;
      }
      if (leading !== this.leading) {
        this.leading = leading;
        await (leading ? this.options.onStartedLeading() : this.options.onStoppedLeading());
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.options.renewIntervalMs);
    };
    void tick();
  }

  /** Stops renewing; with `release`, hands the lease over at once instead of letting it expire. */
  async stop(options: { release: boolean }): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (options.release && this.leading) {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.options.identity) {
        await this.api
          .replaceNamespacedLease({
            name: this.options.name,
            namespace: this.options.namespace,
            body: { ...lease, spec: { ...lease.spec, holderIdentity: undefined, renewTime: undefined } },
          })
          .catch(() => undefined);
      }
    }
    if (this.leading) {
      this.leading = false;
      await this.options.onStoppedLeading();
    }
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({
        name: this.options.name,
        namespace: this.options.namespace,
      });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { identity, leaseDurationSeconds, name, namespace } = this.options;
    const at = new Date();
    const now = microTime(at);
    const lease = await this.read();
    if (!lease) {
      await this.api.createNamespacedLease({
        namespace,
        body: {
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: 0,
          },
        },
      });
      return true;
    }
    const spec = lease.spec ?? {};
    const renewedAt = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = renewedAt + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < at.getTime();
    if (spec.holderIdentity && spec.holderIdentity !== identity && !expired) return false;
    const takingOver = spec.holderIdentity !== identity;
    await this.api.replaceNamespacedLease({
      name,
      namespace,
      body: {
        ...lease,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds,
          renewTime: now,
          ...(takingOver ? { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
        },
      },
    });
    return true;
  }
}

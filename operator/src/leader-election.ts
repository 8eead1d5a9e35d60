import { ApiException, CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { expired, observe, type LeaseObservation } from './lease-observation.ts';

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
  /** Runs beside the renew loop, never blocking it: a slow start must not let the lease lapse. */
  onStartedLeading: () => void | Promise<void>;
  onStoppedLeading: () => void | Promise<void>;
  /** A rejected onStartedLeading; without it the rejection is left unhandled (the process fails). */
  onError?: (error: unknown) => void;
  /**
   * A lease read or write that failed (the API server away, a conflict with another candidate),
   * with whether this replica still counts itself the leader: one failure is not a lost lease, but
   * an operator must be able to see why a leader stepped down or a candidate never takes over.
   */
  onLeaseRequestFailed?: (error: unknown, stillLeading: boolean) => void;
  /** The wall clock written into renewTime/acquireTime (only informative to others). */
  now?: () => Date;
  /** The monotonic clock (ms) that decides expiry and the renew deadline. */
  monotonicMs?: () => number;
}

/**
 * Leader election on a coordination.k8s.io Lease, the way client-go does it: the holder renews
 * the lease; another replica takes it over only once it has itself seen no change of the lease for
 * the lease duration, measured on its own monotonic clock (so skewed clocks never elect two
 * leaders). Every write carries the resourceVersion it read, so two candidates can never both win.
 */
export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly options: LeaderElectionOptions;
  private readonly now: () => Date;
  private readonly monotonicMs: () => number;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private renewedAtMs = 0;
  private observed: LeaseObservation | undefined;
  private stopped = false;
  private inFlight: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
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
        if (leading) this.renewedAtMs = this.monotonicMs();
      } catch (error) {
        // One failed request is not a lost lease.
        leading = this.leading && this.monotonicMs() - this.renewedAtMs < renewDeadlineMs;
        this.options.onLeaseRequestFailed?.(error, leading);
      }
      if (this.stopped) return;
      if (leading !== this.leading) {
        this.leading = leading;
        if (leading) this.startLeading();
        else await this.options.onStoppedLeading();
      }
      if (!this.stopped) this.timer = setTimeout(() => void run(), this.options.renewIntervalMs);
    };
    const run = (): Promise<void> => (this.inFlight = tick());
    void run();
  }

  /** Stops renewing; with `release`, hands the lease over at once instead of letting it expire. */
  async stop(options: { release: boolean }): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    // A renewal already sent finishes first: after stop() this replica writes nothing more.
    await this.inFlight?.catch(() => undefined);
    if (options.release) {
      const lease = await this.read().catch(() => undefined);
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

  /** Not awaited (client-go runs it in its own goroutine): renewals go on while the leader starts. */
  private startLeading(): void {
    const started = Promise.resolve().then(() => this.options.onStartedLeading());
    if (this.options.onError) started.catch(this.options.onError);
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

  /** Remembers what this write produced, so our own renewal is not mistaken for the holder's. */
  private remember(lease: V1Lease): void {
    this.observed = observe(this.observed, leaseRecord(lease), this.monotonicMs());
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { identity, leaseDurationSeconds, name, namespace } = this.options;
    const lease = await this.read();
    // Taken after the expiry check, so acquireTime is never earlier than the moment it was decided.
    const now = (): Date => microTime(this.now());
    if (!lease) {
      const at = now();
      this.remember(
        await this.api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: at,
              renewTime: at,
              leaseTransitions: 0,
            },
          },
        }),
      );
      return true;
    }
    this.remember(lease);
    const spec = lease.spec ?? {};
    const heldByOther = !!spec.holderIdentity && spec.holderIdentity !== identity;
    if (heldByOther && !expired(this.observed!, this.monotonicMs(), leaseDurationSeconds)) return false;
    const takingOver = spec.holderIdentity !== identity;
    const at = now();
    this.remember(
      await this.api.replaceNamespacedLease({
        name,
        namespace,
        body: {
          ...lease,
          spec: {
            ...spec,
            holderIdentity: identity,
            leaseDurationSeconds,
            renewTime: at,
            ...(takingOver ? { acquireTime: at, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
          },
        },
      }),
    );
    return true;
  }
}

function leaseRecord(lease: V1Lease): LeaseObservation['record'] {
  return {
    holderIdentity: lease.spec?.holderIdentity,
    renewTime: timeText(lease.spec?.renewTime),
    resourceVersion: lease.metadata?.resourceVersion,
    leaseDurationSeconds: lease.spec?.leaseDurationSeconds,
  };
}

// client-node hands MicroTime back as a Date (or the string, depending on the path).
const timeText = (time: Date | string | undefined): string | undefined =>
  time instanceof Date ? time.toISOString() : time;

/**
 * Reconcile by key, not by watch event: informers only `add(namespace/name)`. A key is queued at
 * most once, runs in one reconcile at a time (re-added keys run again afterwards), and failures
 * are retried with per-key exponential backoff.
 */
export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly order: string[] = [];
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly reconcile: (key: string) => Promise<{ requeueAfterMs?: number } | void>;
  private readonly concurrency: number;
  private readonly onError: (key: string, error: unknown, retryInMs: number) => void;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(options: {
    reconcile: (key: string) => Promise<{ requeueAfterMs?: number } | void>;
    concurrency: number;
    onError: (key: string, error: unknown, retryInMs: number) => void;
  }) {
    this.reconcile = options.reconcile;
    this.concurrency = options.concurrency;
    this.onError = options.onError;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.order.push(key);
    this.pump();
  }

  addAfter(key: string, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  depth(): number {
    return this.order.length;
  }

  /** Stops taking work and waits for running reconciles to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    if (this.running.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.concurrency && this.order.length > 0) {
      const index = this.order.findIndex((key) => !this.running.has(key));
      if (index < 0) return;
      const [key] = this.order.splice(index, 1);
      this.queued.delete(key!);
      this.running.add(key!);
      void this.run(key!);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      const result = await this.reconcile(key);
      this.failures.delete(key);
      if (result?.requeueAfterMs) this.addAfter(key, result.requeueAfterMs);
    } catch (error) {
      const attempt = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, attempt);
      const retryInMs = Math.min(60_000, 250 * 2 ** (attempt - 1));
      this.onError(key, error, retryInMs);
      this.addAfter(key, retryInMs);
    } finally {
      this.running.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
      if (this.running.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}

import { ExponentialBackoff, TokenBucket } from './backoff.ts';
import { TerminalError } from './errors.ts';

export type ReconcileResult = { requeueAfterMs?: number } | void;

export interface WorkQueueOptions {
  reconcile: (key: string) => Promise<ReconcileResult>;
  concurrency: number;
  /** Overall reconcile starts per second, and the burst allowed above it. */
  ratePerSecond?: number;
  burst?: number;
  backoff?: { baseMs: number; maxMs: number };
  /** Every finished reconcile: its result and duration (metrics). */
  onResult?: (key: string, result: 'success' | 'error' | 'terminal', seconds: number) => void;
  /** A failed reconcile; `retryInMs` is undefined for terminal errors, which wait for a change. */
  onError?: (key: string, error: unknown, retryInMs: number | undefined) => void;
}

/**
 * Reconcile by key, not by watch event: informers only `add(namespace/name)`. A key is queued at
 * most once however often it is added; one key never runs in two reconciles at once (added while
 * running, it runs again afterwards); failures retry with per-key exponential backoff; terminal
 * errors wait for the next change; starts are rate-limited overall.
 */
export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly order: string[] = [];
  /**
   * Periodic resyncs wait here, behind every change: at a thousand events they are tens per second,
   * and in one FIFO they would hold back the reconciles that make new events Ready.
   */
  private readonly resyncs: string[] = [];
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly waiting = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly backoff: ExponentialBackoff;
  private readonly bucket: TokenBucket;
  private readonly options: WorkQueueOptions;
  private pumpTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(options: WorkQueueOptions) {
    this.options = options;
    this.backoff = new ExponentialBackoff(options.backoff ?? { baseMs: 250, maxMs: 60_000 });
    this.bucket = new TokenBucket({
      ratePerSecond: options.ratePerSecond ?? 20,
      burst: options.burst ?? 100,
    });
  }

  add(key: string, kind: 'change' | 'resync' = 'change'): void {
    if (this.stopped) return;
    this.cancelWait(key);
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) {
      // A change to a key waiting for its resync goes ahead.
      const waiting = this.resyncs.indexOf(key);
      if (kind === 'change' && waiting >= 0) {
        this.resyncs.splice(waiting, 1);
        this.order.push(key);
      }
      return;
    }
    this.queued.add(key);
    (kind === 'change' ? this.order : this.resyncs).push(key);
    this.pump();
  }

  /** Adds `key` after a delay; of several pending delays for one key, the earliest wins. */
  addAfter(key: string, delayMs: number, kind: 'change' | 'resync' = 'change'): void {
    if (this.stopped) return;
    const at = Date.now() + delayMs;
    const pending = this.waiting.get(key);
    if (pending && pending.at <= at) return;
    this.cancelWait(key);
    const timer = setTimeout(() => {
      this.waiting.delete(key);
      this.add(key, kind);
    }, delayMs);
    timer.unref();
    this.waiting.set(key, { at, timer });
  }

  /** Keys waiting for a reconcile (the queue-depth metric). */
  depth(): number {
    return this.order.length + this.resyncs.length;
  }

  /** Stops taking work and waits for running reconciles to finish (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pumpTimer);
    for (const key of [...this.waiting.keys()]) this.cancelWait(key);
    if (this.running.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private cancelWait(key: string): void {
    const pending = this.waiting.get(key);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.waiting.delete(key);
  }

  private pump(): void {
    if (this.pumpTimer) return;
    while (!this.stopped && this.running.size < this.options.concurrency) {
      const list = this.order.some((key) => !this.running.has(key)) ? this.order : this.resyncs;
      const index = list.findIndex((key) => !this.running.has(key));
      if (index < 0) return;
      const waitMs = this.bucket.take();
      if (waitMs > 0) {
        this.pumpTimer = setTimeout(() => {
          this.pumpTimer = undefined;
          this.pump();
        }, waitMs);
        return;
      }
      const [key] = list.splice(index, 1) as [string];
      this.queued.delete(key);
      this.running.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    const started = performance.now();
    const seconds = (): number => (performance.now() - started) / 1000;
    try {
      const result = await this.options.reconcile(key);
      this.backoff.forget(key);
      this.options.onResult?.(key, 'success', seconds());
      if (result?.requeueAfterMs) this.addAfter(key, result.requeueAfterMs, 'resync');
    } catch (error) {
      if (error instanceof TerminalError) {
        this.backoff.forget(key);
        this.options.onResult?.(key, 'terminal', seconds());
        this.options.onError?.(key, error, undefined);
      } else {
        const retryInMs = this.backoff.next(key);
        this.options.onResult?.(key, 'error', seconds());
        this.options.onError?.(key, error, retryInMs);
        this.addAfter(key, retryInMs);
      }
    } finally {
      this.running.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
      if (this.running.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}

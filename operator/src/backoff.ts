/**
 * Per-key exponential backoff (client-go's ItemExponentialFailureRateLimiter): the n-th consecutive
 * failure of a key waits base·2^(n-1), capped; a success forgets the key.
 */
export class ExponentialBackoff {
  private readonly failures = new Map<string, number>();
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(options: { baseMs: number; maxMs: number }) {
    this.baseMs = options.baseMs;
    this.maxMs = options.maxMs;
  }

  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  next(key: string): number {
    const attempt = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, attempt);
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(attempt - 1, 30));
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  attempts(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * Overall rate limit on reconcile starts (client-go's BucketRateLimiter): a relist of thousands of
 * objects, or a hot loop, cannot flood the API server. Returns how long the caller must wait.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private readonly ratePerMs: number;
  private readonly burst: number;
  private readonly now: () => number;

  constructor(options: { ratePerSecond: number; burst: number; now?: () => number }) {
    this.ratePerMs = options.ratePerSecond / 1000;
    this.burst = options.burst;
    this.tokens = options.burst;
    this.now = options.now ?? (() => performance.now());
    this.updatedAt = this.now();
  }

  /** Takes a token if one is there (returns 0), else returns the wait until the next one. */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.updatedAt) * this.ratePerMs);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.tokens) / this.ratePerMs);
  }
}

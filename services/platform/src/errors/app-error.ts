import type { ErrorType } from './registry.ts';

export interface AppErrorOptions {
  /** Explanation specific to this occurrence; sent to the client, so never secrets or internals. */
  detail?: string;
  /** RFC 9457 extension members (e.g. `errors`, `limit`), sent to the client as-is. */
  extensions?: Record<string, unknown>;
  /** Response headers that belong with this error (`Retry-After`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
  /** The underlying failure, for logs only. */
  cause?: unknown;
}

/** A failure of a declared type. Everything else thrown is an internal error. */
export class AppError extends Error {
  readonly kind: ErrorType;
  readonly detail: string | undefined;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(kind: ErrorType, options: AppErrorOptions = {}) {
    super(options.detail ?? kind.title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.detail = options.detail;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  get code(): string {
    return this.kind.code;
  }

  get status(): number {
    return this.kind.status;
  }

  get retryable(): boolean {
    return this.kind.retryable;
  }
}

export function isAppError(error: unknown, kind?: ErrorType): error is AppError {
  return error instanceof AppError && (kind === undefined || error.kind.code === kind.code);
}

/**
 * Whether retrying may help. Only declared types know; an unknown error is not assumed
 * retryable here — a transport that knows its transient failures (a dropped connection)
 * wraps them in a retryable type.
 */
export function isRetryable(error: unknown): boolean {
  return error instanceof AppError && error.kind.retryable;
}

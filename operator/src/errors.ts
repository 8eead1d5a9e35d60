import { CapacityBelowAllocatedError } from '@boxoffice/inventory';
import { ShardsDecreaseError } from '@boxoffice/store';
import { ApiException } from '@kubernetes/client-node';

/**
 * The retry policy, in types: a reconcile either fails in a way the next attempt may not
 * (retried with per-key backoff: the default for anything unknown, an API conflict, a broker that is
 * down), or in a way only a change of the TicketEvent fixes (terminal: reported as a condition and a
 * Kubernetes Event, not retried until the object changes).
 */
export class TerminalError extends Error {
  override name = 'TerminalError';
  /** The condition reason / Event reason this failure is reported under (CamelCase). */
  readonly reason: string;

  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

export const TerminalReason = {
  CapacityBelowAllocated: 'CapacityBelowAllocated',
  ShardsDecreased: 'ShardsDecreased',
  NamespaceTerminating: 'NamespaceTerminating',
} as const;

/** Maps what the provisioning module and the API server throw onto the retry policy. */
export function asTerminal(error: unknown): TerminalError | undefined {
  if (error instanceof TerminalError) return error;
  if (error instanceof CapacityBelowAllocatedError)
    return new TerminalError(TerminalReason.CapacityBelowAllocated, error.message, { cause: error });
  if (error instanceof ShardsDecreaseError)
    return new TerminalError(TerminalReason.ShardsDecreased, error.message, { cause: error });
  // Writes into a namespace being deleted can never succeed; its deletion requeues the event.
  if (
    error instanceof ApiException &&
    error.code === 403 &&
    String(error.body).includes('NamespaceTerminating')
  )
    return new TerminalError(TerminalReason.NamespaceTerminating, 'the namespace is being deleted', {
      cause: error,
    });
  return undefined;
}

export const isNotFound = (error: unknown): boolean => error instanceof ApiException && error.code === 404;

export const isConflict = (error: unknown): boolean => error instanceof ApiException && error.code === 409;

/** One line for an Event or a log: the API server's own message rather than client-node's dump. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiException) {
    try {
      const body = (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as {
        message?: string;
      };
      if (body?.message) return `${error.code}: ${body.message}`;
    } catch {
      // not JSON: fall through
    }
    return `HTTP ${error.code}`;
  }
  return error instanceof Error ? error.message : String(error);
}

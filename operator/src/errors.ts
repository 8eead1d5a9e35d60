import { CapacityBelowAllocatedError } from '@boxoffice/inventory';
import { ShardsDecreaseError } from '@boxoffice/store';
import { ApiException } from '@kubernetes/client-node';
import { isRefusedByDatabase, refusalMessage } from './database-refusal.ts';

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
  /** A limit PostgreSQL has and the CRD did not know (a CHECK, a column type). */
  SpecRefusedByDatabase: 'SpecRefusedByDatabase',
} as const;

const TERMINAL_REASONS = new Set<string>(Object.values(TerminalReason));

export const isTerminalReason = (reason: string): boolean => TERMINAL_REASONS.has(reason);

/** Maps what the provisioning module and the API server throw onto the retry policy. */
export function asTerminal(error: unknown): TerminalError | undefined {
  if (error instanceof TerminalError) return error;
  if (error instanceof CapacityBelowAllocatedError)
    return new TerminalError(TerminalReason.CapacityBelowAllocated, error.message, { cause: error });
  if (error instanceof ShardsDecreaseError)
    return new TerminalError(TerminalReason.ShardsDecreased, error.message, { cause: error });
  if (isRefusedByDatabase(error))
    return new TerminalError(TerminalReason.SpecRefusedByDatabase, refusalMessage(error), { cause: error });
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
  if (!(error instanceof Error)) return String(error);
  // fetch says only "fetch failed"; why (refused, reset, DNS) is in its cause, an Error of Node's
  // own realm (not always `instanceof` this one's).
  const cause = (error.cause as { message?: unknown } | undefined)?.message;
  return typeof cause === 'string' && cause && !error.message.includes(cause)
    ? `${error.message}: ${cause}`
    : error.message;
}

/**
 * A terminal refusal of provisioning already reported for this generation of the spec. The
 * reconcile does not provision again until the spec changes (a new generation): a refused spec
 * costs one attempt and one Event, not one per resync or operator restart.
 */
export function standingRefusal(
  conditions:
    | readonly {
        type: string;
        status: string;
        reason: string;
        message: string;
        observedGeneration?: number;
      }[]
    | undefined,
  generation: number | undefined,
): { reason: string; message: string } | undefined {
  const inventory = conditions?.find((c) => c.type === 'InventoryReady');
  if (!inventory || inventory.status !== 'False' || !isTerminalReason(inventory.reason)) return undefined;
  if (inventory.observedGeneration === undefined || inventory.observedGeneration !== generation)
    return undefined;
  return { reason: inventory.reason, message: inventory.message };
}

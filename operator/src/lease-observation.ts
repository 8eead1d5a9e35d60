/**
 * client-go's rule for when someone else's Lease has expired, as a pure function: the holder's
 * `renewTime` was written by the holder's clock, which may run ahead of or behind ours, so it is
 * never compared with the local time. Instead each candidate remembers when it, on its own
 * monotonic clock, last saw the lease change; the lease is expired once it has seen no change for
 * the lease duration.
 */

/** What a candidate read of the Lease: enough to tell whether anything changed since last time. */
export interface LeaseRecord {
  holderIdentity?: string;
  renewTime?: string;
  resourceVersion?: string;
  leaseDurationSeconds?: number;
}

/** A record as last seen, and when (the observer's monotonic clock, in ms). */
export interface LeaseObservation {
  record: LeaseRecord;
  observedAtMs: number;
}

const changeKey = (record: LeaseRecord): string =>
  JSON.stringify([record.holderIdentity ?? '', record.renewTime ?? '', record.resourceVersion ?? '']);

/** The observation after reading `record` at `nowMs`: the clock restarts only when something changed. */
export function observe(
  previous: LeaseObservation | undefined,
  record: LeaseRecord,
  nowMs: number,
): LeaseObservation {
  if (previous && changeKey(previous.record) === changeKey(record)) return previous;
  return { record, observedAtMs: nowMs };
}

/**
 * Whether the holder has had its chance: no change seen for the lease duration it declared (or
 * ours, when it declared none). A lease without a holder is free at once.
 */
export function expired(
  observation: LeaseObservation,
  nowMs: number,
  fallbackDurationSeconds: number,
): boolean {
  if (!observation.record.holderIdentity) return true;
  const durationMs = (observation.record.leaseDurationSeconds ?? fallbackDurationSeconds) * 1000;
  return nowMs - observation.observedAtMs >= durationMs;
}

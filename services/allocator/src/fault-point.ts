/**
 * TEST-ONLY fault points, for the fault-injection suite (`npm run faults`, loadtest/faults/): a crash
 * at an exact place in the batch cycle, which luck (a `kill -9` from outside) would hit only now and
 * then. Off unless `BOXOFFICE_FAULT_POINT` is set; read once at start. Never set it in a deployment.
 *
 *   BOXOFFICE_FAULT_POINT=before-offset-commit@<n>  — on the n-th batch, after its PostgreSQL commit
 *   and its produces but before its Kafka offset commit, the process kills itself with SIGKILL: the
 *   batch is then redelivered to the partition's next owner.
 */
export type FaultPointName = 'before-offset-commit';

export interface FaultPoints {
  /** Called at `point`; kills the process when this is the configured point's n-th visit. */
  reach(point: FaultPointName): void;
}

const none: FaultPoints = { reach: () => undefined };

export function parseFaultPoint(
  value: string | undefined,
): { point: FaultPointName; nth: number } | undefined {
  if (!value) return undefined;
  const match = /^(before-offset-commit)@([1-9]\d*)$/.exec(value);
  if (!match)
    throw new Error(`BOXOFFICE_FAULT_POINT must look like before-offset-commit@<n> (got "${value}")`);
  return { point: match[1] as FaultPointName, nth: Number(match[2]) };
}

export function faultPoints(
  value: string | undefined,
  kill: () => void = () => process.kill(process.pid, 'SIGKILL'),
): FaultPoints {
  const configured = parseFaultPoint(value);
  if (!configured) return none;
  let visits = 0;
  return {
    reach(point) {
      if (point === configured.point && ++visits === configured.nth) kill();
    },
  };
}

import {
  refusedCommandFate,
  type BatchContext,
  type Counter,
  type Order,
  type Outcome,
  type PurchaseRequested,
  type ShardCommand,
} from '@boxoffice/inventory';
import { RefusedByStoreError, type ShardBatchResult } from '@boxoffice/store';
import { isolateRefused } from './isolation.ts';

/** The effect of one partition batch on its shard, however many transactions it took. */
export interface AppliedBatch {
  /** One per command, in order. */
  outcomes: Outcome[];
  forwards: { shard: number; command: PurchaseRequested }[];
  /** Holds offered to waiting buyers, in the order made. */
  offers: Order[];
  /** Orders this batch recorded as REJECTED (their requesters get that answer). */
  rejectedIds: Set<string>;
  /** Commands (by index) that can never apply, to be dead-lettered with the reason. */
  deadLetters: { index: number; reason: string }[];
  /** The shard's counters after the last transaction that applied; undefined if none did. */
  counters?: Map<string, Counter>;
}

/** The shard's store operations, each already retried while the failure is transient. */
export interface ShardWriter {
  apply(commands: ShardCommand[]): Promise<ShardBatchResult>;
  recordRejected(orders: Order[]): Promise<string[]>;
}

const isRefusal = (error: unknown): boolean => error instanceof RefusedByStoreError;

/**
 * Applies a batch so that no command can stall the shard: the whole batch in one transaction when
 * the database accepts it (the usual case), else split until the commands it refuses stand alone.
 * Those get the fate the domain gives a refused command (a purchase becomes REJECTED; anything else,
 * or a purchase that cannot even be recorded, is dead-lettered), and the rest is applied in order.
 */
export async function applyIsolating(
  commands: ShardCommand[],
  writer: ShardWriter,
  ctx: Pick<BatchContext, 'shard' | 'now'>,
  onRefused: (command: ShardCommand, error: RefusedByStoreError) => void = () => undefined,
): Promise<AppliedBatch> {
  const isolation = await isolateRefused(commands, (group) => writer.apply(group), isRefusal);
  const batch: AppliedBatch = {
    outcomes: new Array<Outcome>(commands.length),
    forwards: [],
    offers: [],
    rejectedIds: new Set(),
    deadLetters: [],
  };
  for (const { offset, result } of isolation.applied) {
    result.outcomes.forEach((outcome, i) => (batch.outcomes[offset + i] = outcome));
    batch.forwards.push(...result.forwards);
    batch.offers.push(...result.offers);
    for (const order of result.rejected) batch.rejectedIds.add(order.id);
    for (const d of result.deadLetters) batch.deadLetters.push({ index: offset + d.index, reason: d.reason });
    batch.counters = result.counters;
  }

  const toRecord: { index: number; order: Order; why: string }[] = [];
  for (const { index, item: command, error } of isolation.refused) {
    const refused = error as RefusedByStoreError;
    onRefused(command, refused);
    const fate = refusedCommandFate(command, ctx, refused.message);
    batch.outcomes[index] = fate.outcome;
    if (fate.kind === 'reject') toRecord.push({ index, order: fate.order, why: refused.message });
    else batch.deadLetters.push({ index, reason: fate.reason });
  }
  // A REJECTED row can be refused too (it carries the same text): such a purchase is dead-lettered.
  const recorded = await isolateRefused(
    toRecord,
    (group) => writer.recordRejected(group.map((r) => r.order)),
    isRefusal,
  );
  const written = new Set(recorded.applied.flatMap((a) => a.result));
  for (const { index, order, why } of toRecord) {
    if (written.has(order.id)) {
      batch.rejectedIds.add(order.id);
      continue;
    }
    const again = recorded.refused.find((r) => r.item.order.id === order.id)?.error;
    // Written by no one here: its id or Idempotency-Key already has an order (a second writer's,
    // or an earlier delivery's), and that order is its answer.
    if (!(again instanceof Error)) continue;
    batch.deadLetters.push({
      index,
      reason: `cannot_apply: the database refused purchase ${order.id}: ${why}; and its REJECTED record: ${again.message}`,
    });
  }
  batch.deadLetters.sort((a, b) => a.index - b.index);
  return batch;
}

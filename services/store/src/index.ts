export { sweepDueHolds, type DueHold, type SweepRound } from './due-holds.ts';
export { migrate } from './migrate.ts';
export { allocatorGroupId, eventKeyString, eventTopic } from './naming.ts';
export {
  closeEvent,
  eventCounters,
  provisionEvent,
  ShardsDecreaseError,
  TicketTypeInUseError,
  type ProvisionDeps,
  type TicketTypeCounters,
} from './provisioning.ts';
export {
  applyShardBatch,
  recordRejectedOrders,
  UnknownEventError,
  type ShardBatchResult,
} from './shard-batch.ts';
export { classifyStoreError, RefusedByStoreError, TransientStoreError } from './store-failures.ts';
export * from './queries.ts';
export { ensureTopic, ensureTopics, partitionCount, type WantedTopic } from './topics.ts';
export { inTransaction } from './transaction.ts';
export { invariantViolations } from './invariants.ts';
export {
  eventOrdersPage,
  salesSummary,
  salesTimeSeries,
  type OrderFilter,
  type OrderKey,
  type OrganizerOrder,
  type SalesMinute,
  type TicketTypeSales,
} from './organizer-queries.ts';
export * from './observation.ts';
export { consumerLag, type PartitionLag } from './consumer-lag.ts';
export {
  buyerActiveQuantity,
  buyerWaitingEntries,
  idleWaitingShards,
  waitingShards,
  type IdleWaitingShard,
  type BuyerWaitingEntry,
} from './waiting-list-queries.ts';
export { checkInTicket, type CheckinOutcome } from './checkins.ts';

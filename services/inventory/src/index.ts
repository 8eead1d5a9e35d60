export * from './event.ts';
export * from './shards.ts';
export * from './orders.ts';
export * from './ids.ts';
export * from './messages.ts';
export * from './batch.ts';
export * from './routing.ts';
export * from './settlement.ts';

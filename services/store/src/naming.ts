import type { EventKey } from '@boxoffice/inventory';

/** The purchase topic of an event: one partition per inventory shard. */
export function eventTopic(event: EventKey): string {
  return `boxoffice.purchases.${event.namespace}.${event.name}`;
}

/** The allocator consumer group of an event; KEDA reads its lag. */
export function allocatorGroupId(event: EventKey): string {
  return `boxoffice-allocator.${event.namespace}.${event.name}`;
}

export function eventKeyString(event: EventKey): string {
  return `${event.namespace}/${event.name}`;
}

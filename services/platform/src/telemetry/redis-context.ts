import { context, type Context } from '@opentelemetry/api';
import type { Pipeline, Redis } from 'ioredis';

/**
 * ioredis's auto-pipelining (platform/redis.ts) queues each command where it is called, then sends
 * the queue a tick later from whichever caller scheduled that flush. The ioredis instrumentation
 * opens a command's span when it is sent, so concurrent requests' commands (rate limits,
 * idempotency keys) would all land in the trace of one of them. This remembers the context each
 * command was queued in, and sends it from that context. Applied after the instrumentation has
 * wrapped `sendCommand`, so it runs first.
 */
export function sendRedisCommandsFromTheirCallers(ioredis: {
  Redis: typeof Redis;
  Pipeline: typeof Pipeline;
}): void {
  const queuedIn = new WeakMap<object, Context>();
  const queue = ioredis.Pipeline.prototype.sendCommand;
  ioredis.Pipeline.prototype.sendCommand = function (this: Pipeline, command) {
    if (!queuedIn.has(command)) queuedIn.set(command, context.active());
    return queue.call(this, command);
  };
  const send = ioredis.Redis.prototype.sendCommand;
  ioredis.Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    const caller = queuedIn.get(args[0]);
    return caller ? context.with(caller, () => send.apply(this, args)) : send.apply(this, args);
  };
}

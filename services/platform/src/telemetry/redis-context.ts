import { context, type Context } from '@opentelemetry/api';

const queuedIn = Symbol('boxoffice.queuedInContext');
type Command = { [queuedIn]?: Context };
type Sends = (this: unknown, command: Command, ...rest: unknown[]) => unknown;
interface IoRedis {
  Redis: { prototype: { sendCommand: Sends } };
  Pipeline: { prototype: { sendCommand: Sends } };
}

/**
 * ioredis's auto-pipelining (platform/redis.ts) queues each command where it is called, then sends
 * the queue a tick later from whichever caller scheduled that flush. The ioredis instrumentation
 * opens a command's span when it is sent, so concurrent requests' commands (rate limits,
 * idempotency keys) would all land in the trace of one of them. This remembers the context each
 * command was queued in, and sends it from that context. Applied after the instrumentation has
 * wrapped `sendCommand`, so it runs first.
 */
export function sendRedisCommandsFromTheirCallers(ioredis: IoRedis): void {
  const queue = ioredis.Pipeline.prototype.sendCommand;
  ioredis.Pipeline.prototype.sendCommand = function (command, ...rest) {
    command[queuedIn] ??= context.active();
    return queue.call(this, command, ...rest);
  };
  const send = ioredis.Redis.prototype.sendCommand;
  ioredis.Redis.prototype.sendCommand = function (command, ...rest) {
    const caller = command?.[queuedIn];
    return caller
      ? context.with(caller, () => send.call(this, command, ...rest))
      : send.call(this, command, ...rest);
  };
}

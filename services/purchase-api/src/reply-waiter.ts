import { randomUUID } from 'node:crypto';
import { RedisSubscriber, type ChannelSubscription } from '@boxoffice/platform/redis-subscriber';
import { parseReplies, replyChannel, type OrderReply } from '@boxoffice/platform/replies';
import { traceReplyWait } from '@boxoffice/platform/telemetry/messaging';
import type { Redis } from 'ioredis';

/**
 * Receives the allocator's replies for this instance on its own Redis channel and hands each to
 * the request waiting for that order id. A waiter registered before producing cannot miss its reply.
 * While the channel is not subscribed (Redis down) no reply can come: a wait ends at once, and the
 * buyer gets a 202 with the order's URL instead of waiting for nothing.
 */
export class ReplyWaiter {
  readonly channel: string;
  private readonly subscriber: RedisSubscriber;
  private readonly subscription: ChannelSubscription;
  private readonly waiting = new Map<string, (reply: OrderReply) => void>();

  constructor(redis: Redis, prefix: string) {
    this.channel = replyChannel(prefix, randomUUID());
    this.subscriber = new RedisSubscriber(redis);
    this.subscription = this.subscriber.listen(this.channel, {
      message: (message) => {
        for (const reply of parseReplies(message)) this.waiting.get(reply.orderId)?.(reply);
      },
    });
  }

  /** Resolves once replies can arrive, or at once (false) while Redis is down: it never blocks start-up. */
  async start(): Promise<boolean> {
    return this.subscription.confirmed;
  }

  /** Whether replies can arrive now. */
  listening(): boolean {
    return this.subscriber.isSubscribed(this.channel);
  }

  /** Registers interest in `orderId`; `wait` resolves with the reply, or undefined after `timeoutMs`. */
  expect(orderId: string): {
    wait: (timeoutMs: number) => Promise<OrderReply | undefined>;
    cancel: () => void;
  } {
    let resolve!: (reply: OrderReply | undefined) => void;
    const promise = new Promise<OrderReply | undefined>((r) => (resolve = r));
    this.waiting.set(orderId, resolve);
    const cancel = (): void => {
      this.waiting.delete(orderId);
    };
    return {
      cancel,
      wait: (timeoutMs) =>
        traceReplyWait('wait for allocator reply', { 'boxoffice.order.id': orderId }, async () => {
          const timer = setTimeout(() => resolve(undefined), this.listening() ? timeoutMs : 0);
          try {
            return await promise;
          } finally {
            clearTimeout(timer);
            cancel();
          }
        }),
    };
  }

  stop(): void {
    this.subscriber.stop();
  }
}

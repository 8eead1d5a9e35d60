import { randomUUID } from 'node:crypto';
import { parseReplies, replyChannel, type OrderReply } from '@boxoffice/platform/replies';
import type { Redis } from 'ioredis';

/**
 * Receives the allocator's replies for this instance on its own Redis channel and hands each to
 * the request waiting for that order id. A waiter registered before producing cannot miss its reply.
 */
export class ReplyWaiter {
  readonly channel: string;
  private readonly subscriber: Redis;
  private readonly waiting = new Map<string, (reply: OrderReply) => void>();

  constructor(redis: Redis, prefix: string) {
    this.channel = replyChannel(prefix, randomUUID());
    this.subscriber = redis.duplicate();
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, message: string) => {
      for (const reply of parseReplies(message)) this.waiting.get(reply.orderId)?.(reply);
    });
  }

  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
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
      wait: async (timeoutMs) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        try {
          return await promise;
        } finally {
          clearTimeout(timer);
          cancel();
        }
      },
    };
  }

  stop(): void {
    this.subscriber.disconnect();
  }
}

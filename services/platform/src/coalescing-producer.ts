import type { Message, Producer, TopicMessages } from 'kafkajs';
import { startProducerSpan } from './telemetry/messaging.ts';

export interface CoalescedMessage extends Message {
  topic: string;
}

export interface CoalescingOptions {
  acks: -1 | 1;
  maxInFlight: number;
  maxBatch: number;
  /**
   * How long a caller waits for its message's acknowledgement. kafkajs retries a request for about
   * a minute while the broker is away, and a buyer should hear "try again" long before that.
   */
  sendTimeoutMs?: number;
}

/** The message was still queued when its time ran out: it was never sent, and never will be. */
export class CommandNotSent extends Error {
  constructor(timeoutMs: number) {
    super(`not sent within ${timeoutMs} ms (the broker is not acknowledging)`);
    this.name = 'CommandNotSent';
  }
}

/**
 * The message's request was in flight when its time ran out: the broker may still take it.
 * `outcome` settles when the request does.
 */
export class CommandOutcomeUnknown extends Error {
  readonly outcome: Promise<void>;
  constructor(timeoutMs: number, outcome: Promise<void>) {
    super(`not acknowledged within ${timeoutMs} ms; the request is still in flight`);
    this.name = 'CommandOutcomeUnknown';
    this.outcome = outcome;
  }
}

interface Entry {
  message: CoalescedMessage;
  settle: (error?: unknown) => void;
}

/**
 * kafkajs sends one Produce request per `send()` and has no linger setting, so a busy API that
 * produces one command per HTTP request pays a broker round trip, a request header and a log append
 * per message. This sends messages offered while earlier ones are in flight together, in the next
 * request: an idle service sends at once (no added delay), a busy one sends few, larger requests.
 * Each caller's promise settles with the request that carried its message, or with CommandNotSent /
 * CommandOutcomeUnknown when `sendTimeoutMs` passes first.
 *
 * Each message gets its producer span, and that span's context in its headers, when it is offered
 * (in its caller's context), not when the shared request goes out: a batch carries many requests'
 * messages, and each must lead back to its own trace.
 */
export class CoalescingProducer {
  private queue: Entry[] = [];
  private inFlight = 0;

  private readonly producer: Producer;
  private readonly options: CoalescingOptions;

  constructor(producer: Producer, options: CoalescingOptions) {
    this.producer = producer;
    this.options = options;
  }

  send(message: CoalescedMessage): Promise<void> {
    const traced = startProducerSpan(message.topic, message);
    let settle!: (error?: unknown) => void;
    // What the broker said about the request that carried this message.
    const outcome = new Promise<void>((resolve, reject) => {
      settle = (error) => {
        traced.end(error);
        if (error === undefined) resolve();
        else reject(error);
      };
    });
    const entry: Entry = { message: traced.message, settle };
    this.queue.push(entry);
    if (this.inFlight < this.options.maxInFlight) void this.flush();
    const timeoutMs = this.options.sendTimeoutMs;
    if (timeoutMs === undefined) return outcome;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const queued = this.queue.indexOf(entry);
        if (queued < 0) {
          // In flight: a request cannot be called back, so the caller stops waiting and may follow it.
          reject(new CommandOutcomeUnknown(timeoutMs, outcome));
          return;
        }
        this.queue.splice(queued, 1);
        const notSent = new CommandNotSent(timeoutMs);
        settle(notSent);
        reject(notSent);
      }, timeoutMs);
      outcome.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.options.maxBatch);
    if (batch.length === 0) return;
    this.inFlight++;
    let failure: unknown;
    try {
      await this.producer.sendBatch({ acks: this.options.acks, topicMessages: byTopic(batch) });
    } catch (error) {
      failure = error ?? new Error('produce failed');
    } finally {
      this.inFlight--;
    }
    for (const entry of batch) entry.settle(failure);
    if (this.queue.length > 0) void this.flush();
  }
}

function byTopic(batch: { message: CoalescedMessage }[]): TopicMessages[] {
  const topics = new Map<string, Message[]>();
  for (const { message } of batch) {
    const { topic, ...rest } = message;
    const messages = topics.get(topic) ?? [];
    messages.push(rest);
    topics.set(topic, messages);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

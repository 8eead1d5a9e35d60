import type { Message, Producer, TopicMessages } from 'kafkajs';
import { startProducerSpan } from './telemetry/messaging.ts';

export interface CoalescedMessage extends Message {
  topic: string;
}

/**
 * kafkajs sends one Produce request per `send()` and has no linger setting, so a busy API that
 * produces one command per HTTP request pays a broker round trip, a request header and a log append
 * per message. This sends messages offered while earlier ones are in flight together, in the next
 * request: an idle service sends at once (no added delay), a busy one sends few, larger requests.
 * Each caller's promise settles with the request that carried its message.
 *
 * Each message gets its producer span, and that span's context in its headers, when it is offered
 * (in its caller's context), not when the shared request goes out: a batch carries many requests'
 * messages, and each must lead back to its own trace.
 */
export class CoalescingProducer {
  private queue: { message: CoalescedMessage; settle: (error?: unknown) => void }[] = [];
  private inFlight = 0;

  private readonly producer: Producer;
  private readonly options: { acks: -1 | 1; maxInFlight: number; maxBatch: number };

  constructor(producer: Producer, options: { acks: -1 | 1; maxInFlight: number; maxBatch: number }) {
    this.producer = producer;
    this.options = options;
  }

  send(message: CoalescedMessage): Promise<void> {
    const traced = startProducerSpan(message.topic, message);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        message: traced.message,
        settle: (error) => {
          traced.end(error);
          if (error === undefined) resolve();
          else reject(error);
        },
      });
      if (this.inFlight < this.options.maxInFlight) void this.flush();
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

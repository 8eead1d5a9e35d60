import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type TextMapGetter,
} from '@opentelemetry/api';
import type {
  Batch,
  EachBatchPayload,
  IHeaders,
  KafkaMessage,
  Message,
  Producer,
  ProducerBatch,
  ProducerRecord,
  RecordMetadata,
} from 'kafkajs';
import { recordFailure } from './spans.ts';

/**
 * Kafka tracing as the OpenTelemetry messaging conventions describe it, for the way boxoffice
 * produces and consumes (kafkajs has no instrumentation that fits: see docs/observability.md).
 *
 * - Producing: every message gets its own `send <topic>` PRODUCER span, started where the message
 *   is created (inside the HTTP request, the sweep, the batch that forwards it), and that span's
 *   context in the message's headers (W3C `traceparent`). A coalescing producer that sends many
 *   requests' messages in one Produce request still gives each message the context it was made in.
 * - Consuming: one `process <topic>` CONSUMER span per partition batch, a root linked to the
 *   creation context of each message in it (a span has one parent; a batch has many origins).
 */

const tracer = trace.getTracer('@boxoffice/platform/messaging');

/** Attribute names of the messaging conventions (incubating, so not imported; as the contrib instrumentations do). */
export const MessagingAttributes = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  partition: 'messaging.destination.partition.id',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  batchMessageCount: 'messaging.batch.message_count',
  consumerGroup: 'messaging.consumer.group.name',
  messageKey: 'messaging.kafka.message.key',
  offset: 'messaging.kafka.offset',
} as const;

/** kafkajs hands headers over as Buffers (or arrays of them, for a repeated key). */
export const kafkaHeaderGetter: TextMapGetter<IHeaders | undefined> = {
  keys: (headers) => Object.keys(headers ?? {}),
  get: (headers, key) => {
    const value = headers?.[key];
    if (value === undefined) return undefined;
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
};

export interface ProducerSpan<M extends Message> {
  /** The message with its span's context added to its headers. */
  message: M;
  /** Ends the span when the broker has acknowledged (or refused) the request that carried it. */
  end(error?: unknown): void;
}

/** Starts the producer span of one message in the current context (see the module comment). */
export function startProducerSpan<M extends Message>(topic: string, message: M): ProducerSpan<M> {
  const span = tracer.startSpan(`send ${topic}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      [MessagingAttributes.system]: 'kafka',
      [MessagingAttributes.destination]: topic,
      [MessagingAttributes.operationType]: 'send',
      [MessagingAttributes.operationName]: 'send',
      ...(message.partition !== undefined
        ? { [MessagingAttributes.partition]: String(message.partition) }
        : {}),
      ...(typeof message.key === 'string' ? { [MessagingAttributes.messageKey]: message.key } : {}),
    },
  });
  const headers: IHeaders = { ...message.headers };
  propagation.inject(trace.setSpan(context.active(), span), headers);
  return {
    // Untouched when nothing was injected (no SDK running: OTEL_SDK_DISABLED, unit tests).
    message: Object.keys(headers).length > 0 ? { ...message, headers } : message,
    end(error) {
      if (error !== undefined) recordFailure(span, error);
      span.end();
    },
  };
}

/** `producer.send` with one producer span per message, each message carrying its own. */
export function sendTraced(producer: Producer, record: ProducerRecord): Promise<RecordMetadata[]> {
  const spans = record.messages.map((message) => startProducerSpan(record.topic, message));
  return endWhenSettled(spans, producer.send({ ...record, messages: spans.map((s) => s.message) }));
}

/** `producer.sendBatch` with one producer span per message, each message carrying its own. */
export function sendBatchTraced(producer: Producer, batch: ProducerBatch): Promise<RecordMetadata[]> {
  const spans: ProducerSpan<Message>[] = [];
  const topicMessages = (batch.topicMessages ?? []).map(({ topic, messages }) => ({
    topic,
    messages: messages.map((message) => {
      const traced = startProducerSpan(topic, message);
      spans.push(traced);
      return traced.message;
    }),
  }));
  return endWhenSettled(spans, producer.sendBatch({ ...batch, topicMessages }));
}

async function endWhenSettled<T>(spans: ProducerSpan<Message>[], sent: Promise<T>): Promise<T> {
  let failure: unknown;
  try {
    return await sent;
  } catch (error) {
    failure = error ?? new Error('produce failed');
    throw error;
  } finally {
    for (const span of spans) span.end(failure);
  }
}

/** The context a message was created in, from its headers (undefined for an untraced producer). */
export function creationContext(message: KafkaMessage): Context | undefined {
  const extracted = propagation.extract(ROOT_CONTEXT, message.headers, kafkaHeaderGetter);
  const spanContext = trace.getSpanContext(extracted);
  return spanContext && trace.isSpanContextValid(spanContext) ? extracted : undefined;
}

/**
 * Runs `work` as the processing of one partition batch: a CONSUMER span linked to each message's
 * creation context, active while `work` runs (its database and Redis calls are its children).
 * Sampled origins are linked first, so a span link limit drops only links nobody can follow.
 */
export function processBatch<T>(
  batch: Pick<Batch, 'topic' | 'partition' | 'messages'>,
  consumerGroup: string,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const links: Link[] = batch.messages.flatMap((message) => {
    const origin = creationContext(message);
    if (!origin) return [];
    const attributes: Attributes = { [MessagingAttributes.offset]: Number(message.offset) };
    if (message.key) attributes[MessagingAttributes.messageKey] = message.key.toString();
    return [{ context: trace.getSpanContext(origin)!, attributes }];
  });
  const sampled = (link: Link): number => (link.context.traceFlags & TraceFlags.SAMPLED ? 0 : 1);
  links.sort((a, b) => sampled(a) - sampled(b));
  return tracer.startActiveSpan(
    `process ${batch.topic}`,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        [MessagingAttributes.system]: 'kafka',
        [MessagingAttributes.destination]: batch.topic,
        [MessagingAttributes.partition]: String(batch.partition),
        [MessagingAttributes.operationType]: 'process',
        [MessagingAttributes.operationName]: 'process',
        [MessagingAttributes.batchMessageCount]: batch.messages.length,
        [MessagingAttributes.consumerGroup]: consumerGroup,
      },
    },
    ROOT_CONTEXT,
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        recordFailure(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** A kafkajs `eachBatch` handler whose every non-empty batch runs inside `processBatch`. */
export function traceEachBatch(
  consumerGroup: string,
  handler: (payload: EachBatchPayload) => Promise<void>,
): (payload: EachBatchPayload) => Promise<void> {
  return (payload) =>
    payload.batch.messages.length === 0
      ? handler(payload)
      : processBatch(payload.batch, consumerGroup, () => handler(payload));
}

/** The active span's context as a W3C `traceparent`, for a message that is not a Kafka record (a reply). */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/**
 * Runs `wait` (for an answer over Redis) as a span of the current trace, linked to the span that
 * sent the answer when it names one, so the waiting request leads to the batch that decided it.
 */
export function traceReplyWait<R extends { kind: string; traceparent?: string }>(
  name: string,
  attributes: Attributes,
  wait: () => Promise<R | undefined>,
): Promise<R | undefined> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      const reply = await wait();
      span.setAttribute('boxoffice.reply.kind', reply?.kind ?? 'none: timed out');
      const sender = reply?.traceparent
        ? trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent: reply.traceparent }))
        : undefined;
      if (sender && trace.isSpanContextValid(sender)) span.addLink({ context: sender });
      return reply;
    } finally {
      span.end();
    }
  });
}

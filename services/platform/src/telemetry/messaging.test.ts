import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Span,
} from '@opentelemetry/api';
import type { EachBatchPayload, KafkaMessage, Producer, ProducerBatch } from 'kafkajs';
import { CoalescingProducer } from '../coalescing-producer.ts';
import { currentTraceparent, processBatch, traceEachBatch, traceReplyWait } from './messaging.ts';
import { recordingTelemetry } from './recording.fixtures.ts';

const telemetry = recordingTelemetry();
afterAll(() => telemetry.stop());
beforeEach(() => telemetry.exporter.reset());

const tracer = trace.getTracer('test');
/** Runs `work` inside a new root span (a request), which is ended afterwards. */
const inRequest = <T>(name: string, work: (span: Span) => T): T => {
  const span = tracer.startSpan(name, {}, ROOT_CONTEXT);
  try {
    return context.with(trace.setSpan(ROOT_CONTEXT, span), () => work(span));
  } finally {
    span.end();
  }
};
const finished = () => telemetry.exporter.getFinishedSpans();
const traceIdOf = (traceparent: unknown): string => String(traceparent).split('-')[1]!;
const flushed = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function recordingProducer() {
  const requests: { batch: ProducerBatch; finish: (error?: Error) => void }[] = [];
  const producer = {
    sendBatch: (batch: ProducerBatch) =>
      new Promise((resolve, reject) => {
        requests.push({ batch, finish: (error) => (error ? reject(error) : resolve([])) });
      }),
  } as unknown as Producer;
  return { producer, requests };
}

function kafkaMessage(offset: string, key: string, traceparent?: string): KafkaMessage {
  return {
    offset,
    key: Buffer.from(key),
    value: Buffer.from('{}'),
    timestamp: '0',
    attributes: 0,
    headers: traceparent ? { traceparent: Buffer.from(traceparent) } : {},
  };
}

describe('a producer that coalesces many requests into one send', () => {
  it('gives each message the context of the request that offered it, not of the one that sent the batch', async () => {
    const { producer, requests } = recordingProducer();
    const commands = new CoalescingProducer(producer, { acks: -1, maxInFlight: 1, maxBatch: 100 });
    const [a, b, c] = ['a', 'b', 'c'].map((name) => inRequest(name, (span) => span.spanContext()));
    const sends = [a, b, c].map((request, i) =>
      context.with(trace.setSpanContext(ROOT_CONTEXT, request!), () =>
        commands.send({ topic: 't', partition: i, key: `order-${i}`, value: String(i) }),
      ),
    );
    await flushed();
    requests[0]!.finish(); // a's request goes alone; b's and c's messages wait and go together
    await flushed();
    expect(requests[1]!.batch.topicMessages![0]!.messages).toHaveLength(2);
    const carried = requests.flatMap((r) =>
      r.batch.topicMessages![0]!.messages.map((m) => m.headers?.traceparent),
    );
    expect(carried.map(traceIdOf)).toEqual([a!.traceId, b!.traceId, c!.traceId]);
    expect(finished().filter((s) => s.kind === SpanKind.PRODUCER)).toHaveLength(1); // b and c still in flight

    requests[1]!.finish(new Error('broker gone'));
    await Promise.allSettled(sends);
    const producerSpans = finished().filter((s) => s.kind === SpanKind.PRODUCER);
    expect(
      producerSpans.map((s) => ({
        name: s.name,
        trace: s.spanContext().traceId,
        parent: s.parentSpanContext?.spanId,
        key: s.attributes['messaging.kafka.message.key'],
        status: s.status.code,
      })),
    ).toEqual([
      { name: 'send t', trace: a!.traceId, parent: a!.spanId, key: 'order-0', status: SpanStatusCode.UNSET },
      { name: 'send t', trace: b!.traceId, parent: b!.spanId, key: 'order-1', status: SpanStatusCode.ERROR },
      { name: 'send t', trace: c!.traceId, parent: c!.spanId, key: 'order-2', status: SpanStatusCode.ERROR },
    ]);
    // The header names the message's own producer span: the creation context a consumer links to.
    expect(String(carried[1]).split('-')[2]).toBe(producerSpans[1]!.spanContext().spanId);
  });

  it('starts a trace of its own for a message offered outside any trace', async () => {
    const { producer, requests } = recordingProducer();
    const commands = new CoalescingProducer(producer, { acks: -1, maxInFlight: 1, maxBatch: 100 });
    const sent = commands.send({ topic: 't', value: 'x' });
    await flushed();
    requests[0]!.finish();
    await sent;
    // A root producer span of its own, whose context the message carries.
    const [span] = finished();
    expect(span!.parentSpanContext).toBeUndefined();
    expect(traceIdOf(requests[0]!.batch.topicMessages![0]!.messages[0]!.headers?.traceparent)).toBe(
      span!.spanContext().traceId,
    );
  });
});

describe('the processing of a partition batch', () => {
  it('is one consumer span, linked to each message’s creation context, active while the batch is applied', async () => {
    const sampled = inRequest('sampled', (span) => span.spanContext());
    const unsampled = {
      ...inRequest('unsampled', (span) => span.spanContext()),
      traceFlags: TraceFlags.NONE,
    };
    const parent = (ctx: typeof sampled) => `00-${ctx.traceId}-${ctx.spanId}-0${ctx.traceFlags}`;
    const messages = [
      kafkaMessage('7', 'o-1', parent(unsampled)),
      kafkaMessage('8', 'o-2'), // an untraced producer: nothing to link
      kafkaMessage('9', 'o-3', parent(sampled)),
    ];
    let active: string | undefined;
    await processBatch({ topic: 'shard-topic', partition: 3, messages }, 'group-1', async () => {
      active = currentTraceparent();
    });
    const batch = finished().find((s) => s.name === 'process shard-topic')!;
    expect(batch.kind).toBe(SpanKind.CONSUMER);
    expect(batch.parentSpanContext).toBeUndefined();
    expect(batch.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'shard-topic',
      'messaging.destination.partition.id': '3',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.batch.message_count': 3,
      'messaging.consumer.group.name': 'group-1',
    });
    // Sampled origins first: a link limit drops only links that lead to nothing stored.
    expect(batch.links.map((l) => ({ span: l.context.spanId, attributes: l.attributes }))).toEqual([
      {
        span: sampled.spanId,
        attributes: { 'messaging.kafka.offset': 9, 'messaging.kafka.message.key': 'o-3' },
      },
      {
        span: unsampled.spanId,
        attributes: { 'messaging.kafka.offset': 7, 'messaging.kafka.message.key': 'o-1' },
      },
    ]);
    expect(active).toBe(`00-${batch.spanContext().traceId}-${batch.spanContext().spanId}-01`);
  });

  it('records a batch that fails, and throws on', async () => {
    const failing = processBatch(
      { topic: 't', partition: 0, messages: [kafkaMessage('1', 'k')] },
      'g',
      async () => {
        throw new TypeError('cannot apply');
      },
    );
    await expect(failing).rejects.toThrow('cannot apply');
    const [batch] = finished();
    expect(batch!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'cannot apply' });
    expect(batch!.attributes['error.type']).toBe('TypeError');
  });
});

describe('a traced eachBatch handler', () => {
  it('runs each batch inside its span, and an empty fetch without one', async () => {
    const seen: (string | undefined)[] = [];
    const handler = traceEachBatch('g', async () => {
      seen.push(currentTraceparent());
    });
    const payload = (messages: KafkaMessage[]) =>
      ({ batch: { topic: 't', partition: 0, messages } }) as unknown as EachBatchPayload;
    await handler(payload([]));
    await handler(payload([kafkaMessage('1', 'k')]));
    const [batch] = finished();
    expect(finished()).toHaveLength(1);
    expect(seen).toEqual([undefined, `00-${batch!.spanContext().traceId}-${batch!.spanContext().spanId}-01`]);
  });
});

describe('waiting for a reply', () => {
  it('is a span of the waiting request, linked to the span that sent the reply', async () => {
    const sender = inRequest('batch', (span) => span.spanContext());
    const request = inRequest('request', (span) => span.spanContext());
    const reply = await context.with(trace.setSpanContext(ROOT_CONTEXT, request), () =>
      traceReplyWait('wait', { order: 'o-1' }, async () => ({
        kind: 'held',
        traceparent: `00-${sender.traceId}-${sender.spanId}-01`,
      })),
    );
    expect(reply?.kind).toBe('held');
    const wait = finished().find((s) => s.name === 'wait')!;
    expect(wait.parentSpanContext?.spanId).toBe(request.spanId);
    expect(wait.attributes).toEqual({ order: 'o-1', 'boxoffice.reply.kind': 'held' });
    expect(wait.links.map((l) => l.context.spanId)).toEqual([sender.spanId]);
  });

  it('says when no reply came in time', async () => {
    await traceReplyWait('wait', {}, async () => undefined);
    expect(finished()[0]!.attributes['boxoffice.reply.kind']).toBe('none: timed out');
    expect(finished()[0]!.links).toEqual([]);
  });
});

/** A span as Jaeger's query API (v3, OTLP JSON) returns it, flattened with its service's name. */
export interface StoredSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** Start time, nanoseconds since the epoch. */
  start: bigint;
  /** OTLP span kind names, without the SPAN_KIND_ prefix: SERVER, CLIENT, PRODUCER, CONSUMER, INTERNAL. */
  kind: string;
  attributes: Record<string, string | number | boolean>;
  links: { traceId: string; spanId: string; attributes: Record<string, string | number | boolean> }[];
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  kind?: string | number;
  attributes?: OtlpAttribute[];
  links?: { traceId: string; spanId: string; attributes?: OtlpAttribute[] }[];
}
interface OtlpTraces {
  resourceSpans?: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

/** Reads traces back from Jaeger's HTTP query API (`/api/v3`), the one a tool or an SRE's script uses. */
export class JaegerQuery {
  private readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  /** Every stored span of one trace; empty while the trace is not (yet) in the store. */
  async trace(traceId: string): Promise<StoredSpan[]> {
    const response = await fetch(`${this.url}/api/v3/traces/${traceId}`);
    if (response.status === 404) return [];
    if (!response.ok) throw new Error(`Jaeger answered ${response.status}: ${await response.text()}`);
    return flatten(((await response.json()) as { result?: OtlpTraces }).result);
  }

  /** The spans of every trace with a span of `service` that started in the last `withinMs`. */
  async spansOf(service: string, withinMs: number): Promise<StoredSpan[]> {
    const now = Date.now();
    const query = new URLSearchParams({
      'query.service_name': service,
      'query.start_time_min': new Date(now - withinMs).toISOString(),
      'query.start_time_max': new Date(now + 60_000).toISOString(),
      'query.num_traces': '1000',
    });
    const response = await fetch(`${this.url}/api/v3/traces?${query}`);
    if (response.status === 404) return [];
    if (!response.ok) throw new Error(`Jaeger answered ${response.status}: ${await response.text()}`);
    return flatten(((await response.json()) as { result?: OtlpTraces }).result);
  }
}

function flatten(traces: OtlpTraces | undefined): StoredSpan[] {
  return (traces?.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = attributes(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span): StoredSpan => ({
        service: String(resource['service.name']),
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        name: span.name,
        start: BigInt(span.startTimeUnixNano),
        kind: kindName(span.kind),
        attributes: attributes(span.attributes),
        links: (span.links ?? []).map((link) => ({
          traceId: link.traceId,
          spanId: link.spanId,
          attributes: attributes(link.attributes),
        })),
      })),
    );
  });
}

function kindName(kind: string | number | undefined): string {
  if (typeof kind === 'number') return KINDS[kind] ?? 'UNSPECIFIED';
  return (kind ?? 'SPAN_KIND_UNSPECIFIED').replace(/^SPAN_KIND_/, '');
}

function attributes(list: OtlpAttribute[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries(
    (list ?? []).map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
        value.doubleValue ??
        value.boolValue ??
        '',
    ]),
  );
}

/** True when `span` is `ancestor` or below it in the same trace. */
export function descendsFrom(spans: StoredSpan[], span: StoredSpan, ancestor: StoredSpan): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let current: StoredSpan | undefined = span; current; current = byId.get(current.parentSpanId ?? '')) {
    if (current.spanId === ancestor.spanId) return true;
  }
  return false;
}

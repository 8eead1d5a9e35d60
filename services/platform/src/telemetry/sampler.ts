import {
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type SpanKind,
} from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace';

/**
 * The parent-based samplers, extended to the allocator's batch spans. A batch span has no parent
 * (it is a root linked to the messages it processes), so plain `parentbased_traceidratio` would
 * sample it on its own coin toss, and most sampled purchases would lead to a batch nobody kept. This
 * sampler keeps a parentless span when one of its links was sampled, and otherwise decides as the
 * parent-based sampler would.
 */
export class ParentOrLinkBasedSampler implements Sampler {
  private readonly parentBased: ParentBasedSampler;
  private readonly root: Sampler;

  constructor(root: Sampler) {
    this.root = root;
    this.parentBased = new ParentBasedSampler({ root });
  }

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const parent = trace.getSpanContext(context);
    const hasParent = parent !== undefined && trace.isSpanContextValid(parent);
    if (!hasParent && links.some((link) => (link.context.traceFlags & TraceFlags.SAMPLED) !== 0))
      return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    return this.parentBased.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return `ParentOrLinkBasedSampler{root=${this.root.toString()}}`;
  }
}

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/**
 * The sampler OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG name (the specification's values;
 * unset: parentbased_always_on). The parent-based ones follow sampled links too (see above). A value
 * the specification does not define stops the service at start, as any other bad setting does,
 * rather than tracing at a rate nobody chose.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv = process.env): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim() || 'parentbased_always_on';
  if (!(SAMPLERS as readonly string[]).includes(name))
    throw new Error(`OTEL_TRACES_SAMPLER="${name}" is not one of ${SAMPLERS.join(', ')}`);
  const ratio = (): TraceIdRatioBasedSampler => new TraceIdRatioBasedSampler(samplerRatio(env));
  switch (name as (typeof SAMPLERS)[number]) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_on':
      return new ParentOrLinkBasedSampler(new AlwaysOnSampler());
    case 'parentbased_always_off':
      return new ParentOrLinkBasedSampler(new AlwaysOffSampler());
    case 'parentbased_traceidratio':
      return new ParentOrLinkBasedSampler(ratio());
  }
}

/** OTEL_TRACES_SAMPLER_ARG: the share of root traces kept, 0 to 1 (unset: 1, as specified). */
function samplerRatio(env: NodeJS.ProcessEnv): number {
  const raw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (!raw) return 1;
  const ratio = Number(raw);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1)
    throw new Error(`OTEL_TRACES_SAMPLER_ARG="${raw}" is not a ratio between 0 and 1`);
  return ratio;
}

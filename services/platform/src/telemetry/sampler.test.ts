import { describe, expect, it } from '@jest/globals';
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags, type Link, type SpanContext } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { samplerFromEnv } from './sampler.ts';

const spanContext = (sampled: boolean): SpanContext => ({
  traceId: sampled ? '0af7651916cd43dd8448eb211c80319c' : '1bf7651916cd43dd8448eb211c80319c',
  spanId: sampled ? 'b7ad6b7169203331' : 'c7ad6b7169203331',
  traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
  isRemote: true,
});
const link = (sampled: boolean): Link => ({ context: spanContext(sampled) });
const childOf = (sampled: boolean) => trace.setSpanContext(ROOT_CONTEXT, spanContext(sampled));
// The trace id a ratio keeps last (its chunks XOR to 0xffffffff): kept by a ratio of 1 only.
const ID = 'ffffffff000000000000000000000000';

function decide(env: NodeJS.ProcessEnv, context = ROOT_CONTEXT, links: Link[] = []): boolean {
  const result = samplerFromEnv(env).shouldSample(context, ID, 'span', SpanKind.CONSUMER, {}, links);
  return result.decision === SamplingDecision.RECORD_AND_SAMPLED;
}

describe('sampling from OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG', () => {
  const production = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };

  it('keeps a share of new traces and follows the parent’s decision', () => {
    expect(decide(production)).toBe(false);
    expect(decide({ ...production, OTEL_TRACES_SAMPLER_ARG: '1' })).toBe(true);
    expect(decide(production, childOf(true))).toBe(true);
    expect(decide({ ...production, OTEL_TRACES_SAMPLER_ARG: '1' }, childOf(false))).toBe(false);
  });

  it('keeps a parentless batch span when one of the messages it links was sampled', () => {
    expect(decide(production, ROOT_CONTEXT, [link(false), link(true)])).toBe(true);
    expect(decide(production, ROOT_CONTEXT, [link(false)])).toBe(false);
    expect(
      decide({ ...production, OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, ROOT_CONTEXT, [link(true)]),
    ).toBe(true);
    // A parent's decision stands over its links.
    expect(decide(production, childOf(false), [link(true)])).toBe(false);
  });

  it('leaves the samplers that are not parent-based as the specification defines them', () => {
    expect(decide({ OTEL_TRACES_SAMPLER: 'always_off' }, childOf(true), [link(true)])).toBe(false);
    expect(decide({ OTEL_TRACES_SAMPLER: 'always_on' }, childOf(false))).toBe(true);
    expect(
      decide({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' }, ROOT_CONTEXT, [
        link(true),
      ]),
    ).toBe(false);
  });

  it('keeps everything when unset (parentbased_always_on), and a ratio of 1 when no ratio is given', () => {
    expect(decide({})).toBe(true);
    expect(decide({}, childOf(false))).toBe(false);
    expect(decide({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio' })).toBe(true);
  });

  it('refuses a sampler or ratio the specification does not define, naming the variable', () => {
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_ratio' })).toThrow(
      /OTEL_TRACES_SAMPLER="parentbased_ratio"/,
    );
    expect(() =>
      samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '10%' }),
    ).toThrow(/OTEL_TRACES_SAMPLER_ARG="10%"/);
    expect(() =>
      samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }),
    ).toThrow(/between 0 and 1/);
  });
});

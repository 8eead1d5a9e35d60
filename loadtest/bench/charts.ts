/**
 * The benchmark's charts, drawn from BENCHMARKS.json as SVG files next to BENCHMARKS.md: latency
 * percentiles against the arrival rate per variant, holds and answers per second over the flash
 * sale, and how holds/s and p99 grow with shards, table size and events. Vega-Lite describes each
 * chart; Vega renders it to SVG in Node itself (no browser, no canvas: SVG text needs no fonts).
 *
 *   node loadtest/bench/charts.ts [BENCHMARKS.json] [out-dir]   # redraw without re-running the bench
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { ratesOf, type TimelinePoint } from './timeline.ts';

/** The parts of BENCHMARKS.json the charts read (every field optional: partial runs draw less). */
export interface ChartInput {
  results?: {
    key: string;
    variant: string;
    fixed: { rate: number; p50: number; p95: number; p99: number }[];
  }[];
  flash?: { timeline: TimelinePoint[]; tickets: number; requests: number };
  growth?: {
    dimension: string;
    value: number;
    peak: { confirmedHoldsPerSecond: number };
    fixed: { rate: number; p99: number };
  }[];
}

export const CHART_FILES = {
  latency: 'bench-latency.svg',
  flashSale: 'bench-flash-sale.svg',
  growth: 'bench-cost-growth.svg',
} as const;

const LEGEND: Record<string, string> = {
  bare: '(a) bare node:http ceiling',
  naive: '(b) naive baseline',
  boxoffice: '(c) boxoffice, a hold',
  soldout: '(d) boxoffice, sold out',
  deployed: '(e) boxoffice as deployed',
};

/** Short names for the legend: by the variant's key, else the variant up to its first ": ". */
export function shortVariant(variant: string, key?: string): string {
  if (key && LEGEND[key]) return LEGEND[key];
  const colon = variant.indexOf(': ');
  return (colon < 0 ? variant : variant.slice(0, colon)).replaceAll('`', '');
}

async function svgOf(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function latencySpec(input: ChartInput): TopLevelSpec | undefined {
  const values = (input.results ?? []).flatMap((m) =>
    m.fixed.flatMap((f) =>
      (['p50', 'p95', 'p99'] as const).map((percentile) => ({
        variant: shortVariant(m.variant, m.key),
        rate: f.rate,
        percentile,
        // A log scale has no zero: a sub-millisecond answer is drawn at the axis' floor.
        ms: Math.max(0.1, f[percentile]),
      })),
    ),
  );
  if (values.length === 0) return undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Latency at fixed arrival rates',
    width: 560,
    height: 320,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'rate', type: 'quantitative', scale: { type: 'log' }, title: 'arrival rate (requests/s)' },
      y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms)' },
      color: { field: 'variant', type: 'nominal', title: 'variant', legend: { labelLimit: 400 } },
      strokeDash: { field: 'percentile', type: 'nominal', title: 'percentile' },
      detail: { field: 'percentile' },
    },
  };
}

function flashSaleSpec(input: ChartInput): TopLevelSpec | undefined {
  const timeline = input.flash?.timeline ?? [];
  if (timeline.length < 2) return undefined;
  const values = ratesOf(timeline).flatMap((r) => {
    const answers = Object.values(r.answersPerSecond).reduce((a, b) => a + b, 0);
    const soldOut = (r.answersPerSecond.sold_out ?? 0) + (r.answersPerSecond.limit_reached ?? 0);
    return [
      { second: r.second, series: 'holds committed to PostgreSQL', perSecond: r.holdsPerSecond },
      { second: r.second, series: 'answers (all)', perSecond: answers },
      { second: r.second, series: 'answers: sold out / limit', perSecond: soldOut },
    ];
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Flash sale: ${input.flash!.tickets.toLocaleString('en')} tickets, ${input.flash!.requests.toLocaleString('en')} requests`,
    width: 560,
    height: 280,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'second', type: 'quantitative', title: 'seconds since the sale opened' },
      y: { field: 'perSecond', type: 'quantitative', title: 'per second' },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 400 } },
    },
  };
}

function growthSpec(input: ChartInput): TopLevelSpec | undefined {
  const growth = input.growth ?? [];
  if (growth.length === 0) return undefined;
  const names: Record<string, string> = {
    shards: 'shards = allocator processes',
    orders: 'existing orders in the table',
    events: 'events on sale at once',
  };
  const values = growth.flatMap((g) => [
    {
      dimension: names[g.dimension] ?? g.dimension,
      value: g.value,
      measure: 'confirmed holds/s (peak)',
      y: g.peak.confirmedHoldsPerSecond,
    },
    {
      dimension: names[g.dimension] ?? g.dimension,
      value: g.value,
      measure: `p99 at ${g.fixed.rate}/s (ms)`,
      y: g.fixed.p99,
    },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'How cost grows',
    data: { values },
    facet: {
      row: { field: 'measure', type: 'nominal', title: null },
      column: { field: 'dimension', type: 'nominal', title: null },
    },
    spec: {
      width: 200,
      height: 160,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'value', type: 'quantitative', scale: { type: 'symlog' }, title: null },
        y: { field: 'y', type: 'quantitative', title: null },
      },
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
}

/** Writes the charts `input` has data for into `dir`; returns the files written. */
export async function writeCharts(input: ChartInput, dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const [name, spec] of [
    [CHART_FILES.latency, latencySpec(input)],
    [CHART_FILES.flashSale, flashSaleSpec(input)],
    [CHART_FILES.growth, growthSpec(input)],
  ] as const) {
    if (!spec) continue;
    writeFileSync(join(dir, name), `${await svgOf(spec)}\n`);
    written.push(name);
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const json = resolve(process.argv[2] ?? 'BENCHMARKS.json');
  const written = await writeCharts(
    JSON.parse(readFileSync(json, 'utf8')) as ChartInput,
    process.argv[3] ?? dirname(json),
  );
  console.log(`charts: ${written.join(', ')}`);
}

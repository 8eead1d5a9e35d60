/** One scrape of a Prometheus text exposition: every sample by name, with its labels. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of `name` grouped by the given labels (joined with a space), e.g. by verb and resource. */
export function sumBy(samples: Sample[], name: string, by: string[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = by.map((label) => s.labels[label] ?? '').join(' ');
    sums.set(key, (sums.get(key) ?? 0) + s.value);
  }
  return sums;
}

export function total(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** after − before for every key (counters only grow; a key new in `after` counts from 0). */
export function delta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of after) {
    const d = value - (before.get(key) ?? 0);
    if (d > 0) out.set(key, d);
  }
  return out;
}

/**
 * The q-quantile of a histogram's observations between two scrapes, interpolated linearly inside
 * the bucket as PromQL's histogram_quantile does (so it is as precise as the buckets are).
 */
export function histogramQuantile(
  before: Sample[],
  after: Sample[],
  name: string,
  q: number,
  where: Record<string, string> = {},
): number {
  const buckets = (samples: Sample[]): Map<number, number> => {
    const byLe = new Map<number, number>();
    for (const s of samples) {
      if (s.name !== `${name}_bucket`) continue;
      if (!Object.entries(where).every(([k, v]) => s.labels[k] === v)) continue;
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      byLe.set(le, (byLe.get(le) ?? 0) + s.value);
    }
    return byLe;
  };
  const [b0, b1] = [buckets(before), buckets(after)];
  const bounds = [...b1.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => (b1.get(le) ?? 0) - (b0.get(le) ?? 0));
  const count = counts.at(-1) ?? 0;
  if (count === 0) return NaN;
  const rank = q * count;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! < rank) continue;
    const upper = bounds[i]!;
    const lower = i === 0 ? 0 : bounds[i - 1]!;
    if (upper === Infinity) return lower;
    const below = i === 0 ? 0 : counts[i - 1]!;
    const inBucket = counts[i]! - below;
    return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
  }
  return NaN;
}

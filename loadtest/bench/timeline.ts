/**
 * What a flash sale looks like second by second: holds committed to PostgreSQL and purchase-api's
 * answers by outcome, both cumulative, sampled while k6 runs (the charts draw their rates).
 */
export interface TimelinePoint {
  /** Seconds since the sale started. */
  second: number;
  /** Orders held in PostgreSQL so far. */
  held: number;
  /** purchase-api's answers so far, by outcome (`boxoffice_api_orders_total`). */
  answers: Record<string, number>;
}

/** Sums `boxoffice_api_orders_total` by its `outcome` label from a Prometheus text exposition. */
export function answersByOutcome(metrics: string): Record<string, number> {
  const answers: Record<string, number> = {};
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('boxoffice_api_orders_total{')) continue;
    const outcome = /outcome="([^"]*)"/.exec(line)?.[1];
    if (outcome === undefined) continue;
    answers[outcome] = (answers[outcome] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return answers;
}

/** Per-second rates between consecutive points: holds/s and answers/s by outcome. */
export function ratesOf(
  points: TimelinePoint[],
): { second: number; holdsPerSecond: number; answersPerSecond: Record<string, number> }[] {
  return points.slice(1).map((point, i) => {
    const previous = points[i]!;
    const span = Math.max(1e-3, point.second - previous.second);
    const answersPerSecond: Record<string, number> = {};
    for (const [outcome, n] of Object.entries(point.answers))
      answersPerSecond[outcome] = Math.round((n - (previous.answers[outcome] ?? 0)) / span);
    return {
      second: Math.round(point.second * 10) / 10,
      holdsPerSecond: Math.round((point.held - previous.held) / span),
      answersPerSecond,
    };
  });
}

/**
 * Samples `read` every `intervalMs` until stopped; a sample that fails (the process is busy
 * starting or stopping) is skipped, never fatal.
 */
export function sampleTimeline(
  read: () => Promise<Omit<TimelinePoint, 'second'>>,
  intervalMs = 1000,
): { stop(): Promise<TimelinePoint[]> } {
  const started = performance.now();
  const points: TimelinePoint[] = [];
  let sampling: Promise<void> = Promise.resolve();
  const sample = (): void => {
    sampling = read()
      .then((point) => void points.push({ second: (performance.now() - started) / 1000, ...point }))
      .catch(() => undefined);
  };
  sample();
  const timer = setInterval(() => void sampling.then(sample), intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await sampling;
      sample();
      await sampling;
      return points;
    },
  };
}

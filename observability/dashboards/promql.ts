/** PromQL fragments the dashboards share, so a route or a window is spelt once. */

/** Grafana's rate window: at least four scrapes, whatever the zoom. */
export const RATE = '$__rate_interval';

export const rate = (selector: string): string => `rate(${selector}[${RATE}])`;

/** `histogram_quantile` of a classic histogram, grouped by `by` (plus `le`). */
export const quantile = (q: number, histogram: string, selector: string, by: string[] = []): string =>
  `histogram_quantile(${q}, sum by (${[...by, 'le'].join(', ')}) (${rate(`${histogram}_bucket${selector}`)}))`;

/**
 * A ratio that is 0, not "no data", while the numerator has no series (no 5xx yet): the denominator
 * times zero stands in for it.
 */
export const ratioOrZero = (numerator: string, denominator: string): string =>
  `(${numerator} or ${denominator} * 0) / ${denominator}`;

/** The scrape targets of boxoffice (ServiceMonitor and PodMonitor jobs carry the release's name). */
export const BOXOFFICE_JOBS = 'job=~".*boxoffice.*"';

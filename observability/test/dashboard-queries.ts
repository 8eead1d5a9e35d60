/**
 * Evaluating a dashboard the way Grafana would, against a real Prometheus: its query variables
 * resolved through the label values API (with their regex), then every panel target, with the
 * variables and Grafana's interval variables filled in, sent as a range query over the window.
 */
import { panelSeries, type PanelData } from '../dashboards/picture.ts';
import {
  queryPanels,
  substitute,
  type DashboardJson,
  type VariableJson,
} from '../dashboards/panel-targets.ts';
import type { PrometheusServer, Series } from './prometheus.ts';

export interface Window {
  /** Unix seconds. */
  start: number;
  end: number;
  stepSeconds: number;
  scrapeIntervalSeconds: number;
}

export interface TargetResult {
  dashboard: string;
  panel: string;
  expr: string;
  series: number;
  /** What Prometheus returned (for the pictures of the dashboards). */
  data?: Series[];
  /** Why the target fails: an error, no series, or only NaN/Inf samples. */
  problem?: string;
}

/** Grafana's `$__interval`, `$__rate_interval` (max(interval + scrape, 4 × scrape)) and `$__range`. */
export function intervalVariables(window: Window): Record<string, string> {
  const rateInterval = Math.max(
    window.stepSeconds + window.scrapeIntervalSeconds,
    4 * window.scrapeIntervalSeconds,
  );
  return {
    __interval: `${window.stepSeconds}s`,
    __rate_interval: `${rateInterval}s`,
    __range: `${Math.ceil(window.end - window.start)}s`,
  };
}

/** Grafana's `/regex/` option: the first capture group when there is one, else the whole match. */
function applyRegex(values: string[], regex: string | undefined): string[] {
  if (!regex) return values;
  const pattern = new RegExp(regex.replace(/^\/(.*)\/[a-z]*$/, '$1'));
  const matched = values.flatMap((value) => {
    const match = pattern.exec(value);
    return match ? [match[1] ?? match[0]] : [];
  });
  return [...new Set(matched)];
}

/**
 * The value of each variable: `chosen[name]` when given (it must be one of the variable's options),
 * else its All value for a multi-value variable, else its first option. A query variable without
 * options is a problem: the dashboard would show nothing.
 */
export async function resolveVariables(
  prometheus: PrometheusServer,
  variables: VariableJson[],
  window: Window,
  chosen: Record<string, string>,
): Promise<Record<string, string>> {
  const values: Record<string, string> = { ...intervalVariables(window) };
  for (const variable of variables) {
    if (variable.type !== 'query') continue;
    const match = /^label_values\((.*),\s*(\w+)\)$/s.exec(variable.query ?? '');
    if (!match) throw new Error(`variable ${variable.name}: unsupported query ${variable.query}`);
    const selector = substitute(match[1]!, values);
    const options = applyRegex(
      await prometheus.labelValues(match[2]!, selector, window.start, window.end),
      variable.regex,
    );
    if (options.length === 0) throw new Error(`variable ${variable.name} has no options (${selector})`);
    const wanted = chosen[variable.name];
    if (wanted !== undefined && !options.includes(wanted))
      throw new Error(`variable ${variable.name} does not offer ${wanted}: ${options.join(', ')}`);
    values[variable.name] =
      wanted ?? (variable.includeAll && variable.allValue ? variable.allValue : options[0]!);
  }
  return values;
}

export async function evaluateDashboard(
  prometheus: PrometheusServer,
  dashboard: DashboardJson,
  window: Window,
  chosen: Record<string, string> = {},
): Promise<TargetResult[]> {
  const values = await resolveVariables(prometheus, dashboard.templating.list, window, chosen);
  const results: TargetResult[] = [];
  for (const panel of queryPanels(dashboard))
    for (const target of panel.targets ?? []) {
      const expr = substitute(target.expr, values);
      const result: TargetResult = { dashboard: dashboard.uid, panel: panel.title, expr, series: 0 };
      try {
        const series = await prometheus.queryRange(expr, window.start, window.end, window.stepSeconds);
        result.series = series.length;
        result.data = series;
        const finite = series.some((s) => s.values.some(([, v]) => Number.isFinite(Number(v))));
        if (series.length === 0) result.problem = 'no series';
        else if (!finite) result.problem = 'only NaN or infinite samples';
      } catch (error) {
        result.problem = (error as Error).message;
      }
      results.push(result);
    }
  return results;
}

/** The series each panel's targets returned, for a picture of the dashboard. */
export function panelDataOf(dashboard: DashboardJson, results: TargetResult[]): PanelData {
  const data: PanelData = new Map();
  let next = 0;
  for (const panel of queryPanels(dashboard))
    data.set(
      panel,
      (panel.targets ?? []).flatMap((target) =>
        panelSeries(target.legendFormat, results[next++]?.data ?? []),
      ),
    );
  return data;
}

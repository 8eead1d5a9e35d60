/**
 * Reading generated dashboards back: every panel's PromQL targets and the dashboard's variables, as
 * the tests need them (freshness and shape here; against a real Prometheus in the integration test).
 */

export interface DashboardJson {
  uid: string;
  title: string;
  panels: PanelJson[];
  templating: { list: VariableJson[] };
}

export interface PanelJson {
  type: string;
  title: string;
  description?: string;
  fieldConfig?: { defaults?: { unit?: string } };
  datasource?: { type?: string; uid?: string };
  targets?: { expr: string; refId: string; legendFormat?: string; datasource?: { uid?: string } }[];
  panels?: PanelJson[];
  gridPos?: { x: number; y: number; w: number; h: number };
}

export interface VariableJson {
  type: string;
  name: string;
  query?: string;
  regex?: string;
  includeAll?: boolean;
  allValue?: string;
}

/** The panels that query (rows left out, including panels folded into collapsed rows). */
export function queryPanels(dashboard: DashboardJson): PanelJson[] {
  return dashboard.panels.flatMap((panel) => (panel.type === 'row' ? (panel.panels ?? []) : [panel]));
}

/** Grafana's own variables the dashboards use. */
export const BUILT_IN_VARIABLES = ['__rate_interval', '__interval', '__range'];

/** The variable names an expression refers to (`$name` or `${name}`). */
export function variablesIn(expr: string): string[] {
  return [...expr.matchAll(/\$\{?(\w+)\}?/g)].map((match) => match[1]!);
}

/** `expr` with every `$name` / `${name}` replaced by its value (a missing value throws). */
export function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{?(\w+)\}?/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for $${name} in ${expr}`);
    return value;
  });
}

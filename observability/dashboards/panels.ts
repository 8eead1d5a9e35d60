/**
 * The few shapes every boxoffice dashboard is made of, on top of the Grafana Foundation SDK: a
 * dashboard with the shared variables and links, time series and stat panels that always carry a
 * description and a unit, Prometheus targets on the `$datasource` variable.
 */
import {
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  BigValueColorMode,
  BigValueGraphMode,
  BigValueTextMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  StackingConfigBuilder,
  StackingMode,
  VizLegendOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

export const datasource = { type: 'prometheus', uid: '${datasource}' };

export interface Target {
  expr: string;
  /** Grafana legend, e.g. `{{service}} {{route}}`. */
  legend?: string;
}

export interface PanelSpec {
  title: string;
  /** What the panel shows and what to do when it looks wrong. Required: an SRE reads it at 3 am. */
  description: string;
  /** A Grafana unit id: s, reqps, ops, percentunit, short, bool_yes_no… */
  unit: string;
  targets: Target[];
  /** Width in grid columns (of 24). */
  span?: number;
  min?: number;
  max?: number;
  stacked?: boolean;
}

const targetsOf = (targets: Target[]) =>
  targets.map((t, i) =>
    new DataqueryBuilder()
      .expr(t.expr)
      .legendFormat(t.legend ?? '__auto')
      .range()
      .refId(String.fromCharCode(65 + i))
      .datasource(datasource),
  );

export function timeSeries(spec: PanelSpec): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .unit(spec.unit)
    .datasource(datasource)
    .span(spec.span ?? 12)
    .height(8)
    .fillOpacity(spec.stacked ? 30 : 10)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.List)
        .placement(LegendPlacement.Bottom)
        .calcs([]),
    );
  if (spec.stacked) panel.stacking(new StackingConfigBuilder().mode(StackingMode.Normal));
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  for (const target of targetsOf(spec.targets)) panel.withTarget(target);
  return panel;
}

/** A single number (the last value), e.g. remaining tickets or whether the audit passes. */
export function statPanel(spec: PanelSpec & { showName?: boolean }): stat.PanelBuilder {
  const panel = new stat.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .unit(spec.unit)
    .datasource(datasource)
    .span(spec.span ?? 6)
    .height(5)
    .colorMode(BigValueColorMode.Value)
    .graphMode(spec.showName ? BigValueGraphMode.None : BigValueGraphMode.Area)
    .textMode(spec.showName ? BigValueTextMode.Name : BigValueTextMode.Auto)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  for (const target of targetsOf(spec.targets)) panel.withTarget(target);
  return panel;
}

export const row = (title: string): RowBuilder => new RowBuilder(title);

/** The series every sale metric carries; `event` is `namespace/name`. */
const EVENT_METRIC = 'boxoffice_inventory_capacity';

export const variables = {
  datasource: () => new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'),
  /** The organizer namespaces, taken from the events' `namespace/name`. */
  namespace: () =>
    new QueryVariableBuilder('namespace')
      .label('Namespace')
      .datasource(datasource)
      .query(`label_values(${EVENT_METRIC}, event)`)
      .regex('/^([^/]+)\\//')
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.AlphabeticalAsc),
  event: () =>
    new QueryVariableBuilder('event')
      .label('Event')
      .datasource(datasource)
      .query(`label_values(${EVENT_METRIC}{event=~"$namespace/.*"}, event)`)
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.AlphabeticalAsc),
  shard: () =>
    new QueryVariableBuilder('shard')
      .label('Shard')
      .datasource(datasource)
      .query(`label_values(${EVENT_METRIC}{event="$event"}, shard)`)
      .includeAll(true)
      .multi(true)
      .allValue('.*')
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.NumericalAsc),
};

/** A boxoffice dashboard: tagged, linked to the others, refreshed every 30 s over the last hour. */
export function dashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['boxoffice'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .link(
      new DashboardLinkBuilder('boxoffice')
        .type(DashboardLinkType.Dashboards)
        .tags(['boxoffice'])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    )
    .withVariable(variables.datasource());
}

export type { Dashboard };

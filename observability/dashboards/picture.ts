/**
 * A picture of a dashboard from real data, without Grafana (AGPL, not used here): an SVG laid out
 * on the dashboard's own grid, time series as lines with their legends, stat panels as their last
 * value, every number in the panel's unit. `npm run dashboards:pictures` draws docs/dashboards/*.svg
 * from a purchase run, so a reader sees what an SRE will see.
 */
import type { DashboardJson, PanelJson } from './panel-targets.ts';

export interface PanelSeries {
  legend: string;
  points: [time: number, value: number][];
}

/** Every series a panel's targets returned, by panel (in `queryPanels` order). */
export type PanelData = Map<PanelJson, PanelSeries[]>;

const WIDTH = 1600;
const COLUMN = WIDTH / 24;
const ROW = 30;
const HEADER = 48;
const COLORS = ['#73bf69', '#f2cc0c', '#5794f2', '#ff780a', '#b877d9', '#f2495c', '#8ab8ff', '#96d98d'];

export const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A value as Grafana would print it in `unit` (the units the boxoffice dashboards use). */
export function formatValue(value: number, unit: string | undefined): string {
  if (!Number.isFinite(value)) return '–';
  const short = (n: number): string => {
    const abs = Math.abs(n);
    if (abs >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
    if (abs >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
    if (abs >= 100 || Number.isInteger(n)) return String(Math.round(n));
    return n.toFixed(abs >= 1 ? 1 : 2);
  };
  switch (unit) {
    case 's':
      return Math.abs(value) < 1 ? `${short(value * 1000)} ms` : `${short(value)} s`;
    case 'percentunit':
      return `${(value * 100).toFixed(value === 0 || value === 1 ? 0 : 2)}%`;
    case 'reqps':
      return `${short(value)} req/s`;
    case 'ops':
      return `${short(value)}/s`;
    case 'bool_yes_no':
      return value === 0 ? 'No' : 'Yes';
    default:
      return short(value);
  }
}

/** Grafana's legend: `{{label}}` filled from the series' labels; `__auto` lists them. */
export function legendOf(format: string | undefined, labels: Record<string, string>): string {
  const { __name__: name, ...rest } = labels;
  if (!format || format === '__auto') {
    const pairs = Object.entries(rest).map(([k, v]) => `${k}="${v}"`);
    return pairs.length ? `{${pairs.join(', ')}}` : (name ?? 'value');
  }
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => labels[key] ?? '');
}

function frame(panel: PanelJson, x: number, y: number, w: number, h: number): string {
  return (
    `<rect x="${x + 4}" y="${y + 4}" width="${w - 8}" height="${h - 8}" rx="4" fill="#181b1f" stroke="#2c3235"/>` +
    `<text x="${x + 14}" y="${y + 24}" fill="#ccccdc" font-size="13" font-weight="600">${escapeXml(panel.title)}</text>`
  );
}

/** A panel's place in the picture: x, y, width, height in pixels. */
type Box = [number, number, number, number];

/** The time range every panel shares, unix seconds. */
export interface TimeRange {
  start: number;
  end: number;
}

const clock = (t: number): string => new Date(t * 1000).toISOString().slice(11, 19);

const truncate = (text: string, length: number): string =>
  text.length > length ? `${text.slice(0, Math.max(1, length - 1))}…` : text;

/**
 * The finite points of a series in runs without gaps: where a step is missing (no sample, NaN), the
 * line breaks, as Grafana draws it, instead of bridging the gap.
 */
function gapless(points: [number, number][]): [number, number][][] {
  const steps = points.slice(1).map(([t], i) => t - points[i]![0]);
  const step = Math.min(...steps, Number.POSITIVE_INFINITY);
  const runs: [number, number][][] = [];
  let run: [number, number][] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (const [t, v] of points) {
    if (!Number.isFinite(v) || t - last > step * 1.5) {
      if (run.length) runs.push(run);
      run = [];
    }
    if (Number.isFinite(v)) {
      run.push([t, v]);
      last = t;
    }
  }
  if (run.length) runs.push(run);
  return runs;
}

function timeSeries(panel: PanelJson, series: PanelSeries[], range: TimeRange, [x, y, w, h]: Box): string {
  const unit = panel.fieldConfig?.defaults?.unit;
  const shown = series.slice(0, COLORS.length);
  const legendRows = Math.min(3, Math.ceil(shown.length / 2));
  const plot = { left: x + 70, top: y + 36, right: x + w - 16, bottom: y + h - 26 - legendRows * 16 };
  const points = shown.flatMap((s) => s.points.filter(([, v]) => Number.isFinite(v)));
  if (points.length === 0)
    return `<text x="${x + w / 2}" y="${y + h / 2}" fill="#8e8e8e" text-anchor="middle" font-size="13">No data</text>`;
  const values = points.map(([, v]) => v);
  const [t0, t1] = [range.start, range.end];
  const v0 = Math.min(0, ...values);
  const v1 = Math.max(...values) === v0 ? v0 + 1 : Math.max(...values);
  const px = (t: number) => plot.left + ((t - t0) / Math.max(1, t1 - t0)) * (plot.right - plot.left);
  const py = (v: number) => plot.bottom - ((v - v0) / (v1 - v0)) * (plot.bottom - plot.top);
  const parts: string[] = [];
  for (const tick of [v0, (v0 + v1) / 2, v1]) {
    parts.push(
      `<line x1="${plot.left}" x2="${plot.right}" y1="${py(tick)}" y2="${py(tick)}" stroke="#2c3235"/>`,
      `<text x="${plot.left - 6}" y="${py(tick) + 4}" fill="#8e8e8e" font-size="10" text-anchor="end">${escapeXml(formatValue(tick, unit))}</text>`,
    );
  }
  for (const [t, anchor] of [
    [t0, 'start'],
    [(t0 + t1) / 2, 'middle'],
    [t1, 'end'],
  ] as const)
    parts.push(
      `<text x="${px(t)}" y="${plot.bottom + 11}" fill="#8e8e8e" font-size="9" text-anchor="${anchor}">${clock(t)}</text>`,
    );
  shown.forEach((s, i) => {
    for (const run of gapless(s.points)) {
      const path = run.map(([t, v]) => `${px(t).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
      parts.push(
        run.length === 1
          ? `<circle cx="${px(run[0]![0])}" cy="${py(run[0]![1])}" r="1.5" fill="${COLORS[i]}"/>`
          : `<polyline points="${path}" fill="none" stroke="${COLORS[i]}" stroke-width="1.5"/>`,
      );
    }
    if (i >= legendRows * 2) return;
    const lx = x + 16 + (i % 2) * ((w - 32) / 2);
    const ly = plot.bottom + 24 + Math.floor(i / 2) * 16;
    const label = truncate(s.legend, Math.floor((w - 64) / 2 / 6));
    parts.push(
      `<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${COLORS[i]}"/>`,
      `<text x="${lx + 14}" y="${ly - 3}" fill="#ccccdc" font-size="10">${escapeXml(label)}</text>`,
    );
  });
  return parts.join('');
}

function stat(panel: PanelJson, series: PanelSeries[], [x, y, w, h]: Box): string {
  const unit = panel.fieldConfig?.defaults?.unit;
  const showName = (panel as { options?: { textMode?: string } }).options?.textMode === 'name';
  const shown = series.slice(0, 4);
  if (shown.length === 0)
    return `<text x="${x + w / 2}" y="${y + h / 2}" fill="#8e8e8e" text-anchor="middle" font-size="13">No data</text>`;
  const cell = (w - 16) / shown.length;
  return shown
    .map((s, i) => {
      const last = [...s.points].reverse().find(([, v]) => Number.isFinite(v))?.[1] ?? NaN;
      const text = showName ? s.legend : formatValue(last, unit);
      const color = unit === 'bool_yes_no' && last === 0 ? '#f2495c' : '#73bf69';
      const cx = x + 8 + cell * i + cell / 2;
      const size = Math.max(14, Math.min(34, (cell / Math.max(4, text.length)) * 1.6));
      return (
        `<text x="${cx}" y="${y + h / 2 + 10}" fill="${color}" font-size="${size.toFixed(0)}" font-weight="600" text-anchor="middle">${escapeXml(text)}</text>` +
        (shown.length > 1 || !showName
          ? `<text x="${cx}" y="${y + h - 14}" fill="#8e8e8e" font-size="10" text-anchor="middle">${escapeXml(truncate(s.legend, Math.floor(cell / 6)))}</text>`
          : '')
      );
    })
    .join('');
}

export function dashboardPicture(
  dashboard: DashboardJson,
  data: PanelData,
  range: TimeRange,
  caption: string,
): string {
  const panels = dashboard.panels;
  const bottom = Math.max(...panels.map((p) => (p.gridPos?.y ?? 0) + (p.gridPos?.h ?? 0)));
  const height = HEADER + bottom * ROW + 16;
  const body = panels.map((panel) => {
    const g = panel.gridPos ?? { x: 0, y: 0, w: 24, h: 8 };
    const [x, y, w, h] = [g.x * COLUMN, HEADER + g.y * ROW, g.w * COLUMN, g.h * ROW];
    if (panel.type === 'row')
      return `<text x="${x + 8}" y="${y + 22}" fill="#ccccdc" font-size="15" font-weight="600">${escapeXml(panel.title)}</text>`;
    const series = data.get(panel) ?? [];
    const box: Box = [x, y, w, h];
    const content = panel.type === 'stat' ? stat(panel, series, box) : timeSeries(panel, series, range, box);
    return frame(panel, x, y, w, h) + content;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Inter, Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="#111217"/>
<text x="12" y="30" fill="#ccccdc" font-size="20" font-weight="600">${escapeXml(dashboard.title)}</text>
<text x="${WIDTH - 12}" y="30" fill="#8e8e8e" font-size="12" text-anchor="end">${escapeXml(caption)}</text>
${body.join('\n')}
</svg>
`;
}

/** One panel's series as the picture draws them: the target's legend applied, values as numbers. */
export function panelSeries(
  legendFormat: string | undefined,
  series: { metric: Record<string, string>; values: [number, string][] }[],
): PanelSeries[] {
  return series.map((s) => ({
    legend: legendOf(legendFormat, s.metric),
    points: s.values.map(([t, v]): [number, number] => [t, Number(v)]),
  }));
}

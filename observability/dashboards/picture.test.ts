import { describe, expect, it } from '@jest/globals';
import type { DashboardJson, PanelJson } from './panel-targets.ts';
import { dashboardPicture, formatValue, legendOf, type PanelData } from './picture.ts';

describe('a picture of a dashboard', () => {
  it('prints values in the panel unit as Grafana would', () => {
    expect(formatValue(0.0042, 's')).toBe('4.2 ms');
    expect(formatValue(2.5, 's')).toBe('2.5 s');
    expect(formatValue(0.999, 'percentunit')).toBe('99.90%');
    expect(formatValue(1, 'percentunit')).toBe('100%');
    expect(formatValue(1520, 'reqps')).toBe('1.5k req/s');
    expect(formatValue(0, 'bool_yes_no')).toBe('No');
    expect(formatValue(Number.NaN, 'short')).toBe('–');
  });

  it('fills legends from the series labels, or lists them for __auto', () => {
    expect(legendOf('{{service}} {{route}}', { service: 'query-api', route: '/v1/events' })).toBe(
      'query-api /v1/events',
    );
    expect(legendOf('__auto', { __name__: 'up', job: 'boxoffice-operator' })).toBe(
      '{job="boxoffice-operator"}',
    );
  });

  it('draws each panel on the dashboard grid: lines for time series, the last value for stats', () => {
    const series: PanelJson = {
      type: 'timeseries',
      title: 'Holds <per> second',
      fieldConfig: { defaults: { unit: 'ops' } },
      gridPos: { x: 0, y: 1, w: 12, h: 8 },
    };
    const single: PanelJson = {
      type: 'stat',
      title: 'Audit',
      fieldConfig: { defaults: { unit: 'bool_yes_no' } },
      gridPos: { x: 12, y: 1, w: 6, h: 5 },
    };
    const empty: PanelJson = { type: 'timeseries', title: 'Empty', gridPos: { x: 18, y: 1, w: 6, h: 5 } };
    const dashboard: DashboardJson = {
      uid: 'x',
      title: 'boxoffice / Test',
      templating: { list: [] },
      panels: [{ type: 'row', title: 'Sales', gridPos: { x: 0, y: 0, w: 24, h: 1 } }, series, single, empty],
    };
    const data: PanelData = new Map([
      [
        series,
        [
          {
            legend: 'demo/gala',
            points: [
              [100, 0],
              [110, 4],
              [120, 2],
            ],
          },
        ],
      ],
      [
        single,
        [
          {
            legend: 'demo/gala',
            points: [
              [100, 1],
              [120, 0],
            ],
          },
        ],
      ],
    ]);
    const svg = dashboardPicture(dashboard, data, { start: 100, end: 120 }, 'a run');
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('Holds &lt;per&gt; second');
    expect(svg.match(/<polyline /g)).toHaveLength(1);
    expect(svg).toContain('>No<'); // the stat's last value, 0 as No
    expect(svg).toContain('No data'); // the panel without series
    expect(svg).toContain('>Sales<');
  });
});

import { describe, expect, it } from '@jest/globals';
import { createMetricsRegistry, DROPPED_DEFAULT_METRICS } from './metrics.ts';

describe('the metrics registry of a process', () => {
  it('has the default Node.js metrics but no gauge with a counter suffix (promtool refuses those)', async () => {
    const metrics = await createMetricsRegistry('purchase-api').getMetricsAsJSON();
    const names = metrics.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['nodejs_active_handles', 'process_cpu_seconds_total']));
    for (const dropped of DROPPED_DEFAULT_METRICS) expect(names).not.toContain(dropped);
    const misnamed = metrics.filter((m) => String(m.type) !== 'counter' && m.name.endsWith('_total'));
    expect(misnamed.map((m) => m.name)).toEqual([]);
  });

  it('labels every series with the service', async () => {
    const text = await createMetricsRegistry('query-api').metrics();
    const samples = text.split('\n').filter((line) => line && !line.startsWith('#'));
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.filter((line) => !line.includes('service="query-api"'))).toEqual([]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHART_FILES, shortVariant, writeCharts, type ChartInput } from './charts.ts';

const small: ChartInput = {
  results: [
    {
      key: 'boxoffice',
      variant: '(c) boxoffice: purchase-api → Kafka → allocator → PostgreSQL → reply',
      fixed: [
        { rate: 200, p50: 5, p95: 13, p99: 21 },
        { rate: 1500, p50: 28, p95: 60, p99: 84 },
      ],
    },
    {
      key: 'bare',
      variant: '(a) bare node:http ceiling',
      fixed: [{ rate: 200, p50: 0.2, p95: 0.3, p99: 0.4 }],
    },
  ],
  flash: {
    tickets: 100,
    requests: 500,
    timeline: [
      { second: 0, held: 0, answers: {} },
      { second: 1, held: 60, answers: { accepted: 60, sold_out: 10 } },
      { second: 2, held: 100, answers: { accepted: 100, sold_out: 400 } },
    ],
  },
  growth: [
    { dimension: 'shards', value: 1, peak: { confirmedHoldsPerSecond: 900 }, fixed: { rate: 1000, p99: 80 } },
    {
      dimension: 'shards',
      value: 4,
      peak: { confirmedHoldsPerSecond: 2500 },
      fixed: { rate: 1000, p99: 40 },
    },
  ],
};

describe('the benchmark charts', () => {
  it('draws latency, flash sale and cost growth as SVG from a small BENCHMARKS.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-charts-'));
    const written = await writeCharts(small, dir);
    expect(written.sort()).toEqual(Object.values(CHART_FILES).sort());
    const latency = readFileSync(join(dir, CHART_FILES.latency), 'utf8');
    expect(latency).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(latency).toContain('(c) boxoffice, a hold');
    expect(latency).toContain('(a) bare node:http ceiling');
    expect(latency).toContain('arrival rate (requests/s)');
    const flash = readFileSync(join(dir, CHART_FILES.flashSale), 'utf8');
    expect(flash).toContain('holds committed to PostgreSQL');
    expect(flash).toContain('Flash sale: 100 tickets, 500 requests');
    expect(readFileSync(join(dir, CHART_FILES.growth), 'utf8')).toContain('shards = allocator processes');
  }, 30_000);

  it('draws only the charts it has data for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-charts-'));
    expect(await writeCharts({ results: small.results }, dir)).toEqual([CHART_FILES.latency]);
    expect(readdirSync(dir)).toEqual([CHART_FILES.latency]);
  }, 30_000);

  it('names a variant in the legend by its key, else by its letter and name', () => {
    expect(shortVariant('(c) boxoffice: purchase-api → Kafka', 'boxoffice')).toBe('(c) boxoffice, a hold');
    expect(shortVariant('(c) boxoffice: purchase-api → Kafka')).toBe('(c) boxoffice');
    expect(shortVariant('(e) boxoffice as `npm start` deploys it: tracing')).toBe(
      '(e) boxoffice as npm start deploys it',
    );
  });
});

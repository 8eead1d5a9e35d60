import { describe, expect, it } from '@jest/globals';
import { flashAnswered, growthFailureLines, ratiosOf, statementSection } from './report.ts';
import type { FlashRow, Measurement, PeakRun } from './types.ts';

const peak = (holds: number, cpu: Record<string, number>): PeakRun => ({
  vus: 64,
  seconds: 10,
  requestsPerSecond: holds,
  answered201PerSecond: holds,
  answered202PerSecond: 0,
  soldOutPerSecond: 0,
  confirmedHoldsPerSecond: holds,
  errorRate: 0,
  rateLimitedPerSecond: 0,
  p50: 1,
  p99: 2,
  machineBusyPercent: 90,
  cpuSeconds: cpu,
  cpuMsPerRequest: cpu,
});
const measured = (key: Measurement['key'], holds: number, cpu: Record<string, number>): Measurement => ({
  key,
  variant: key,
  peak: peak(holds, cpu),
  peakRuns: [],
  fixed: [],
});

describe('the ratios against the targets', () => {
  it('compares the platform as deployed with the bench row by holds/s and by servers CPU per request', () => {
    const ratios = ratiosOf([
      measured('naive', 1000, { 'naive-api': 0.3, postgres: 0.7 }),
      measured('boxoffice', 3000, { 'purchase-api': 0.2, allocator: 0.1, k6: 0.2, other: 5 }),
      measured('deployed', 2400, { 'purchase-api': 0.3, allocator: 0.12, jaeger: 0.03, k6: 0.2 }),
    ]);
    expect(ratios.holdsVsNaive).toBe(3);
    expect(ratios.deployedVsBench).toBe(0.8);
    // k6 and "other" are not the servers' cost: (0.3 + 0.12 + 0.03) / (0.2 + 0.1)
    expect(ratios.deployedCpuVsBench).toBe(1.5);
    expect(ratios.holdsVsBareCeiling).toBeUndefined();
  });
});

describe("PostgreSQL's busiest statements", () => {
  it('are shown per confirmed hold of the peak run, their text kept whole inside the table', () => {
    const full = measured('boxoffice', 100, {});
    full.peak.statements = [
      { query: 'SELECT a || b FROM `t` WHERE id = $1', calls: 2000, totalMs: 600, rows: 2000, blocks: 8000 },
      { query: 'COMMIT', calls: 1000, totalMs: 200, rows: 0, blocks: 0 },
    ];
    full.peak.cpuSeconds = { postgres: 1.2 };
    full.peak.postgresMaintenance = { autovacuums: 1, autoanalyzes: 2, checkpoints: 0 };
    const section = statementSection([
      [full, '(c)'],
      [undefined, '(e)'],
    ]);
    // 10 s at 100 holds/s: 1,000 holds.
    expect(section).toContain(
      "| (c) | `SELECT a \\|\\| b FROM 't' WHERE id = $1` | 2.00 | 0.300 | 0.600 | 4 | 75 % |",
    );
    expect(section).toContain('| (c) | `COMMIT` | 1.00 | 0.200 | 0.200 | 0 | 25 % |');
    // Statement time against the server's CPU: what is left is maintenance and connections.
    expect(section).toContain(
      "(c): the listed statements took 0.800 ms per hold; PostgreSQL's processes used 1.200 ms of CPU per hold (meanwhile 1 autovacuums, 2 autoanalyzes, 0 checkpoints).",
    );
    expect(section).not.toContain('(e)');
    expect(statementSection([[measured('boxoffice', 100, {}), '(c)']])).toBe('');
  });
});

describe('cost-growth configurations that could not be measured', () => {
  it('are listed with their reason and pass, so a missing row never reads as one not tried', () => {
    const lines = growthFailureLines([
      { dimension: 'events', value: 100, reason: 'allocator was not ready within 60s (60 of 100 ready)' },
      { dimension: 'orders', value: 10_000_000, reason: 'skipped', pass: '2026-12-03T08:10:00.000Z' },
    ]);
    expect(lines.split('\n')).toEqual([
      '- Not measured: events on sale at once (one allocator each, 4 shards) = 100: allocator was not ready within 60s (60 of 100 ready).',
      '- Not measured: existing orders in the table = 10,000,000: skipped (a second pass, 08:10 UTC).',
    ]);
    expect(growthFailureLines()).toBe('');
  });
});

describe('the flash sale row', () => {
  it('counts the orders k6 never sent when its time limit ended the sale first', () => {
    const answers = { held: 100_000, pending: 0, pendingHeld: 0, pendingRejected: 0, soldOut: 315_454 };
    const row = { requests: 500_000, answers } as FlashRow;
    expect(flashAnswered(row)).toEqual({ answered: 415_454, unsent: 84_546 });
    expect(flashAnswered({ ...row, answers: { ...answers, soldOut: 400_000 } }).unsent).toBe(0);
  });
});

/** What `npm run bench` measures, as BENCHMARKS.json keeps it (bench.ts fills it, report.ts shows it). */
import type { FlashSaleResult } from '../flash-sale.ts';
import type { Maintenance, StatementTime } from './statements.ts';
import type { PlanCensus } from './table-size.ts';
import type { TimelinePoint } from './timeline.ts';

export interface PeakRun {
  vus: number;
  seconds: number;
  requestsPerSecond: number;
  answered201PerSecond: number;
  answered202PerSecond: number;
  soldOutPerSecond: number;
  confirmedHoldsPerSecond: number;
  errorRate: number;
  /** WAL bytes PostgreSQL wrote per confirmed hold (the server's, during the run). */
  walBytesPerHold?: number;
  /** 429 answers per second (a rate limit refused the request). */
  rateLimitedPerSecond: number;
  /** Latency in the closed loop (the machine saturated), ms. */
  p50: number;
  p99: number;
  machineBusyPercent: number;
  /** CPU seconds per process group during the run, and per request in ms. */
  cpuSeconds: Record<string, number>;
  cpuMsPerRequest: Record<string, number>;
  probe?: Record<string, number>;
  /** PostgreSQL's busiest statements during the run (pg_stat_statements; absent without it). */
  statements?: StatementTime[];
  /** Autovacuums, autoanalyzes (the bench's database) and checkpoints during the run. */
  postgresMaintenance?: Maintenance;
}

export interface FixedRun {
  rate: number;
  achievedPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  errorRate: number;
  dropped: number;
}

export interface Measurement {
  key: 'bare' | 'naive' | 'boxoffice' | 'soldout' | 'deployed';
  variant: string;
  peak: PeakRun;
  peakRuns: PeakRun[];
  fixed: FixedRun[];
}

export interface FlashRow {
  tickets: number;
  requests: number;
  buyers: number;
  vus: number;
  /** From the first request to the last answer. */
  seconds: number;
  /** From the first request to the last hold. */
  sellOutSeconds: number;
  requestsPerSecond: number;
  orderLatencyMs: { p50: number; p95: number; p99: number; max: number };
  answers: FlashSaleResult['answers'];
  counters: FlashSaleResult['counters'];
  violations: string[];
  k6ExitCode: number;
  machineBusyPercent: number;
  timeline: TimelinePoint[];
  logDir: string;
}

/** One configuration of "how cost grows": its peak and its latency at a fixed rate. */
export interface GrowthPoint {
  dimension: 'shards' | 'orders' | 'events';
  value: number;
  /** Allocator processes it ran (one per shard, or one per event). */
  allocators: number;
  peak: PeakRun;
  fixed: FixedRun;
  /** For the table sizes: the plans PostgreSQL logged meanwhile, and their sequential scans. */
  plans?: PlanCensus;
  /** Seconds it took to fill the orders table to this size. */
  fillSeconds?: number;
  /** Set when the point comes from a later pass than the rest of the report (its start). */
  pass?: string;
}

/** A configuration of "how cost grows" that could not be measured, and why (e.g. it did not start). */
export interface GrowthFailure {
  dimension: GrowthPoint['dimension'];
  value: number;
  reason: string;
  pass?: string;
}

/** The ratios against the targets of issues 5 and 14. */
export interface Ratios {
  holdsVsNaive?: number;
  holdsVsBareCeiling?: number;
  p99AtHalfPeakMs?: number;
  holdCpuVsSoldOutCpu?: number;
  holdCpuVsSoldOutCpuAllServers?: number;
  /** (e) confirmed holds/s ÷ (c)'s. */
  deployedVsBench?: number;
  /** The servers' CPU per request of (e) ÷ (c)'s, at their peaks. */
  deployedCpuVsBench?: number;
}

/** BENCHMARKS.json. */
export interface BenchReport {
  date: string;
  machine: string;
  versions: string[];
  /** The machine's load average (1 min) when the run started and ended: others' work on the cores. */
  loadAverage: { start: number; end: number };
  settings: Record<string, unknown>;
  results: Measurement[];
  flash?: FlashRow;
  growth: GrowthPoint[];
  /** Configurations of cost growth that were tried and could not be measured (older reports: none). */
  growthFailures?: GrowthFailure[];
  ratios: Ratios;
  invariantViolations: string[];
  logDir: string;
  profileSummary?: string;
  charts: string[];
}

/**
 * A real Prometheus (Debian's, PROMETHEUS_BIN from deps.env) for one test: started on loopback with
 * a generated scrape config and the project's rule files, queried through its HTTP API, stopped by
 * its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { freePort } from '../../scripts/deps/processes.ts';

export interface ScrapeTarget {
  /** The job label, named like the chart's monitors name theirs (`boxoffice-…`). */
  job: string;
  /** host:port */
  address: string;
}

export interface Series {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface PrometheusOptions {
  bin: string;
  targets: ScrapeTarget[];
  ruleFiles: string[];
  scrapeIntervalSeconds: number;
}

export class PrometheusServer {
  url = '';
  readonly dir = mkdtempSync(join(tmpdir(), 'boxoffice-prometheus-'));
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  private readonly options: PrometheusOptions;

  constructor(options: PrometheusOptions) {
    this.options = options;
  }

  /** The scrape config: one job per target group, the rule files, scrape and evaluation interval. */
  config(): string {
    const interval = `${this.options.scrapeIntervalSeconds}s`;
    const jobs = Map.groupBy(this.options.targets, (t) => t.job);
    return stringify({
      global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
      rule_files: this.options.ruleFiles,
      scrape_configs: [...jobs].map(([job, targets]) => ({
        job_name: job,
        static_configs: [{ targets: targets.map((t) => t.address) }],
      })),
    });
  }

  async start(): Promise<this> {
    const port = await freePort();
    const configFile = join(this.dir, 'prometheus.yml');
    writeFileSync(configFile, this.config());
    const log = createWriteStream(join(this.dir, 'prometheus.log'));
    this.child = spawn(
      this.options.bin,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    this.exited = new Promise((resolve) => this.child!.once('exit', () => resolve()));
    this.url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null)
        throw new Error(`prometheus exited with ${this.child.exitCode}; see ${this.dir}/prometheus.log`);
      if (
        await fetch(`${this.url}/-/ready`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return this;
      await sleep(200);
    }
    throw new Error(`prometheus was not ready within 30 s; see ${this.dir}/prometheus.log`);
  }

  /**
   * Waits until every target has been scraped and is up, then two more scrapes: a run that starts
   * after this has samples from before it (a counter's first increase is then seen by `increase()`).
   * Prometheus applies new targets on a 5 s tick, so the first scrapes come a while after start.
   */
  async scrapedEverything(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const up = await this.query('up').catch(() => []);
      if (up.length === this.options.targets.length && up.every((s) => s.value[1] === '1')) break;
      if (Date.now() > deadline)
        throw new Error(`targets not all up within ${timeoutMs / 1000} s: ${JSON.stringify(up)}`);
      await sleep(200);
    }
    await sleep(2_000 * this.options.scrapeIntervalSeconds);
  }

  private async api<T>(path: string, params: Record<string, string | string[]>): Promise<T> {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(params))
      for (const v of Array.isArray(value) ? value : [value]) body.append(key, v);
    const response = await fetch(`${this.url}/api/v1/${path}`, { method: 'POST', body });
    const json = (await response.json()) as { status: string; data: T; error?: string };
    if (json.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${json.error}`);
    return json.data;
  }

  /** A range query, as a Grafana time series panel sends it. */
  async queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<Series[]> {
    const data = await this.api<{ result: Series[] }>('query_range', {
      query: expr,
      start: String(start),
      end: String(end),
      step: String(stepSeconds),
    });
    return data.result;
  }

  async query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    return (
      await this.api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>('query', {
        query: expr,
      })
    ).result;
  }

  /** `label_values(selector, label)` as Grafana's Prometheus variable query runs it. */
  async labelValues(label: string, selector: string, start: number, end: number): Promise<string[]> {
    const url = new URL(`${this.url}/api/v1/label/${label}/values`);
    url.searchParams.append('match[]', selector);
    url.searchParams.append('start', String(start));
    url.searchParams.append('end', String(end));
    const json = (await (await fetch(url)).json()) as { status: string; data: string[] };
    if (json.status !== 'success') throw new Error(`label values of ${label} for ${selector} failed`);
    return json.data;
  }

  async targets(): Promise<{ labels: Record<string, string>; health: string; lastError: string }[]> {
    const response = await fetch(`${this.url}/api/v1/targets?state=active`);
    const json = (await response.json()) as {
      data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] };
    };
    return json.data.activeTargets;
  }

  async rules(): Promise<
    { name: string; type: string; health: string; lastError?: string; state?: string }[]
  > {
    const response = await fetch(`${this.url}/api/v1/rules`);
    const json = (await response.json()) as {
      data: {
        groups: {
          rules: { name: string; type: string; health: string; lastError?: string; state?: string }[];
        }[];
      };
    };
    return json.data.groups.flatMap((g) => g.rules);
  }

  async alerts(): Promise<{ labels: Record<string, string>; state: string }[]> {
    const response = await fetch(`${this.url}/api/v1/alerts`);
    const json = (await response.json()) as {
      data: { alerts: { labels: Record<string, string>; state: string }[] };
    };
    return json.data.alerts;
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const killed = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(killed);
  }
}

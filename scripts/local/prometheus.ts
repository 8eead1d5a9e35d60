import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, startDaemon, stopDaemon, waitUntil } from '../deps/processes.ts';
import type { LocalPod } from './pod-worker.ts';
import { scrapeTargets } from './scrape-targets.ts';

/**
 * The Prometheus of `npm start` (Debian's, the one the tests use): on 127.0.0.1 (9090 when free),
 * scraping every pod the local kubelet stand-in runs — found through a file_sd document this module
 * keeps in step with the runner's pods — with the repository's recording and alert rules loaded, its
 * data kept in the state directory between runs. A daemon with a PID file like the dependencies, so
 * one left behind by a killed run is stopped by the next start.
 */
export interface LocalPrometheusOptions {
  bin: string;
  /** Config, targets, data and PID file. */
  dir: string;
  logFile: string;
  /** Absolute paths of the rule files to load. */
  ruleFiles: string[];
  /** The pods to scrape, read again every `syncIntervalMs`. */
  pods: () => LocalPod[];
  scrapeIntervalSeconds?: number;
  syncIntervalMs?: number;
  preferredPort?: number;
}

export const TARGETS_FILE = 'targets.json';
export const PID_FILE = 'prometheus.pid';
const DEFAULT_SCRAPE_INTERVAL_SECONDS = 5;

/** The scrape config: one job whose targets (and their `job` labels) come from the targets file. */
export function localPrometheusConfig(options: {
  targetsFile: string;
  ruleFiles: string[];
  scrapeIntervalSeconds: number;
}): string {
  const interval = `${options.scrapeIntervalSeconds}s`;
  return stringify({
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: options.ruleFiles,
    scrape_configs: [
      {
        // A target's own `job` label (boxoffice-operator, boxoffice-allocator, …) replaces this one.
        job_name: 'boxoffice',
        // As the chart's monitors: the services' own `service` label is kept.
        honor_labels: true,
        metrics_path: '/metrics',
        // Prometheus also watches the file; the refresh is the fallback.
        file_sd_configs: [{ files: [options.targetsFile], refresh_interval: '30s' }],
      },
    ],
  });
}

export class LocalPrometheus {
  url = '';
  readonly configFile: string;
  private readonly options: LocalPrometheusOptions;
  private readonly targetsFile: string;
  private readonly pidFile: string;
  private sync: NodeJS.Timeout | undefined;

  constructor(options: LocalPrometheusOptions) {
    this.options = options;
    this.targetsFile = join(options.dir, TARGETS_FILE);
    this.pidFile = join(options.dir, PID_FILE);
    this.configFile = join(options.dir, 'prometheus.yml');
  }

  async start(): Promise<this> {
    const { dir, bin, logFile } = this.options;
    mkdirSync(dir, { recursive: true });
    await stopDaemon(this.pidFile);
    this.writeTargets();
    writeFileSync(
      this.configFile,
      localPrometheusConfig({
        targetsFile: this.targetsFile,
        ruleFiles: this.options.ruleFiles,
        scrapeIntervalSeconds: this.options.scrapeIntervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS,
      }),
    );
    const port = await loopbackPortOrFree(this.options.preferredPort ?? 9090);
    const pid = startDaemon({
      name: 'prometheus',
      command: bin,
      args: [
        `--config.file=${this.configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        '--storage.tsdb.retention.time=3d',
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      logFile,
      pidFile: this.pidFile,
    });
    this.url = `http://127.0.0.1:${port}`;
    this.sync = setInterval(() => this.writeTargets(), this.options.syncIntervalMs ?? 1_000);
    this.sync.unref();
    await waitUntil('Prometheus', async () => (await fetch(`${this.url}/-/ready`)).ok, {
      timeoutMs: 30_000,
      pid,
      logFile,
    });
    return this;
  }

  /** Rewrites the targets file when the pods changed; by rename, so Prometheus never reads half of it. */
  private writeTargets(): void {
    const content = `${JSON.stringify(scrapeTargets(this.options.pods()), null, 2)}\n`;
    if (existsSync(this.targetsFile) && readFileSync(this.targetsFile, 'utf8') === content) return;
    const partial = `${this.targetsFile}.partial`;
    writeFileSync(partial, content);
    renameSync(partial, this.targetsFile);
  }

  async stop(): Promise<void> {
    clearInterval(this.sync);
    await stopDaemon(this.pidFile);
  }
}

/** `preferred` when nothing listens on it on loopback (a known URL for a developer), else a free port. */
async function loopbackPortOrFree(preferred: number): Promise<number> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port: preferred, host: '127.0.0.1', exclusive: true }, () =>
      server.close(() => resolve(true)),
    );
  });
  return free ? preferred : freePort();
}

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../scripts/deps/paths.ts';

/** k6's `--summary-export` metrics: counters have count/rate, trends avg/p(50)/…, rates value. */
export type K6Metrics = Record<string, Record<string, number>>;

export interface K6Run {
  code: number;
  /** stdout + stderr (the end-of-test summary and any threshold failures). */
  output: string;
  metrics: K6Metrics;
  /** CPU seconds k6 itself used (sampled from /proc while it ran: it competes for the same cores). */
  cpuSeconds: number;
}

/** Runs `loadtest/<script>` with `-e` variables; never throws for a failed threshold (exit code 99). */
export function runK6(
  bin: string,
  script: string,
  env: Record<string, string>,
  summaryFile: string,
  options: { quiet?: boolean; echo?: boolean; args?: string[] } = {},
): Promise<K6Run> {
  const args = [
    'run',
    ...(options.quiet === false ? [] : ['--quiet']),
    '--no-usage-report',
    `--summary-export=${summaryFile}`,
    ...(options.args ?? []),
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    join(repoRoot, 'loadtest', script),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let ticks = 0;
    const sample = setInterval(() => {
      try {
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks = Number(fields[11]) + Number(fields[12]);
      } catch {
        // exited
      }
    }, 200);
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      if (options.echo) process.stderr.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(sample);
      const metrics = existsSync(summaryFile)
        ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as { metrics: K6Metrics }).metrics
        : {};
      resolve({ code: code ?? 1, output, metrics, cpuSeconds: ticks / 100 });
    });
  });
}

/** A counter's count (0 when the metric never fired, as k6 then leaves it out). */
export const count = (metrics: K6Metrics, name: string): number => metrics[name]?.count ?? 0;

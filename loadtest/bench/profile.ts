import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
  }[];
  startTime: number;
  endTime: number;
  /** The node sampled at each tick, and the µs since the previous tick. */
  samples?: number[];
  timeDeltas?: number[];
}

/**
 * Sampled ticks per node and the µs they stand for, leaving out the first `skipMs` of the
 * process's life (start-up: module loading, connecting), so what remains is the steady state.
 */
function ticksAfter(profile: CpuProfile, skipMs: number): { hits: Map<number, number>; usPerTick: number } {
  const hits = new Map<number, number>();
  const { samples = [], timeDeltas = [] } = profile;
  let at = profile.startTime;
  const from = profile.startTime + skipMs * 1000;
  for (let i = 0; i < samples.length; i++) {
    at += timeDeltas[i] ?? 0;
    if (at >= from) hits.set(samples[i]!, (hits.get(samples[i]!) ?? 0) + 1);
  }
  const usPerTick = samples.length > 0 ? (profile.endTime - profile.startTime) / samples.length : 1000;
  return { hits, usPerTick };
}

/** Where a sampled function lives: a package, a boxoffice workspace, or Node's internals. */
function origin(url: string): string {
  if (!url) return '(native: syscalls, buffers, crypto)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/(services\/[^/]+|loadtest|scripts)\//.exec(url);
  if (own) return own[1]!;
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

const TRACING_PACKAGES = /^(@opentelemetry\/|import-in-the-middle|require-in-the-middle|shimmer)/;

/**
 * Self time of each `.cpuprofile` in `dir` (written by `node --cpu-prof`), by origin and by
 * function: a Markdown summary of where a process spends its CPU, idle time left out. With
 * `steady`, the first `skipMs` of each process are left out too and the busy time is divided by
 * the `requests` sent after them: CPU ms per request, comparable between variants.
 */
export function summariseProfiles(
  dir: string,
  names: Map<number, string>,
  top = 12,
  steady?: { skipMs: number; requests: number },
): string {
  const sections: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const { hits: ticks, usPerTick } = ticksAfter(profile, steady?.skipMs ?? 0);
    const byOrigin = new Map<string, number>();
    const byFunction = new Map<string, number>();
    let busy = 0;
    for (const node of profile.nodes) {
      const hits = ticks.get(node.id) ?? 0;
      const { functionName, url, lineNumber } = node.callFrame;
      if (!hits || functionName === '(idle)' || functionName === '(program)') continue;
      busy += hits;
      const where = functionName === '(garbage collector)' ? 'GC' : origin(url);
      byOrigin.set(where, (byOrigin.get(where) ?? 0) + hits);
      const name = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    }
    if (busy === 0) continue; // e.g. the loader-hook thread, idle once start-up is left out
    const share = (n: number): string => `${((n / busy) * 100).toFixed(1)} %`;
    const rows = (m: Map<string, number>): string =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([k, v]) => `| ${k} | ${share(v)} |`)
        .join('\n');
    const [, pidText, tid] = /\.(\d+)\.(\d+)\.\d+\.cpuprofile$/.exec(file) ?? [];
    const pid = Number(pidText);
    // Tracing's own code is spread over many packages: their sum is its direct cost.
    const tracing = [...byOrigin]
      .filter(([o]) => TRACING_PACKAGES.test(o))
      .reduce((sum, [, n]) => sum + n, 0);
    sections.push(
      `### ${names.get(pid) ?? file}${tid && tid !== '0' ? ` (thread ${tid}: the ESM loader hooks of the telemetry)` : ''}\n\nBusy samples: ${busy}${steady ? ` (${((busy * usPerTick) / 1000 / Math.max(1, steady.requests)).toFixed(3)} ms of CPU per request)` : ''}. OpenTelemetry and its module hooks (self time, all packages): ${share(tracing)}.\n\n| origin | share of busy CPU |\n| --- | ---: |\n${rows(byOrigin)}\n\n| function (self time) | share |\n| --- | ---: |\n${rows(byFunction)}\n`,
    );
  }
  return sections.join('\n');
}

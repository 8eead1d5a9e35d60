import { cpus } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/deps/paths.ts';
import type { FaultRun } from './sale.ts';

const BEGIN = '<!-- faults:begin (written by npm run faults; do not edit by hand) -->';
const END = '<!-- faults:end -->';

const statuses = (answers: Record<string, number>): string =>
  Object.entries(answers)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, n]) => `${status === '0' ? 'no answer' : status}: ${n.toLocaleString('en')}`)
    .join(', ');

const states = (orders: Record<string, number>): string =>
  Object.entries(orders)
    .map(([state, n]) => `${state} ${n.toLocaleString('en')}`)
    .join(', ');

const served = (run: FaultRun): string =>
  run.secondsUntilServed === null ? 'not before the sell-out' : `${run.secondsUntilServed.toFixed(1)} s`;

/** The table of one suite run, in Markdown (one row per fault). */
export function faultTable(runs: FaultRun[], versions: string[]): string {
  const rows = runs.map((r) =>
    [
      `**${r.title}**<br>${r.injection}`,
      `${r.load.rate}/s for ${r.load.seconds} s; ${r.load.capacity.toLocaleString('en')} tickets, ${r.load.shards} shards, ${r.load.allocators} allocators; injected at ${r.injectedAtSeconds.toFixed(1)} s (load average ${r.loadAverage.toFixed(1)})`,
      `${r.requests.toLocaleString('en')} (${statuses(r.answers)})`,
      `${served(r)}; longest shard stall ${r.longestShardStallSeconds.toFixed(1)} s`,
      `${states(r.audit.orders)}; all final ${r.audit.settledSeconds.toFixed(1)} s after the load${r.audit.untoldActive ? `; ${r.audit.untoldActive} held without a 201/202 (see below)` : ''}`,
      r.audit.violations.length === 0
        ? 'clean'
        : `**${r.audit.violations.length} violations**: ${r.audit.violations.join('; ')}`,
      r.notes.join('; '),
    ]
      .map((cell) => cell.replaceAll('|', '\\|'))
      .join(' | '),
  );
  return [
    `Measured ${runs[0]?.measuredAt.slice(0, 10) ?? ''} on this machine (${cpus().length} cores, shared), ${versions.join(', ')}.`,
    '',
    '| fault | load at the time | requests by answer | served again after | orders by final state | audit | notes |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

/** Writes docs/reliability.json and replaces the table between the markers in docs/reliability.md. */
export function writeReport(runs: FaultRun[], versions: string[]): void {
  const docs = join(repoRoot, 'docs');
  writeFileSync(join(docs, 'reliability.json'), `${JSON.stringify({ versions, runs }, null, 2)}\n`);
  const file = join(docs, 'reliability.md');
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start === -1 || end === -1) throw new Error(`${file} has no ${BEGIN} … ${END} markers`);
  writeFileSync(
    file,
    `${text.slice(0, start + BEGIN.length)}\n${faultTable(runs, versions)}\n${text.slice(end)}`,
  );
}

import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../../scripts/deps/paths.ts';
import { ensureSchemathesis } from '../../scripts/deps/schemathesis.ts';
import { webhookSecret, type FuzzPlatform } from './fuzz-platform.ts';

/** How much to fuzz: `npm test` runs a bounded number of examples, `npm run fuzz` runs for longer. */
export interface FuzzBudget {
  /** Test cases per operation and phase (schemathesis `--max-examples`). */
  examples: number;
  /** Seconds for the whole run of one API; fuzzing and stateful testing repeat until it is spent. */
  maxTimeSeconds?: number;
}

export interface FuzzRun {
  api: string;
  exitCode: number | null;
  /** schemathesis's own report (failures with a curl to reproduce each, then the summary). */
  output: string;
  reportDir: string;
  /** Requests sent, by `METHOD /path-template status`, from the HAR report. */
  answers: Map<string, number>;
}

/**
 * Runs schemathesis against one API's `/openapi.json` with every check (but `use_after_free`, see
 * below), all phases including the stateful one, and the settings of test/fuzz/schemathesis.toml.
 * Never throws on findings: the caller asserts on the exit code and the answers.
 */
export async function fuzzApi(
  platform: FuzzPlatform,
  api: 'purchase-api' | 'query-api',
  budget: FuzzBudget,
): Promise<FuzzRun> {
  const bin = ensureSchemathesis();
  const baseUrl = api === 'purchase-api' ? platform.purchaseUrl : platform.queryUrl;
  const reportDir = join(stateDir, 'fuzz', `${api}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(reportDir, { recursive: true });
  // The settings, plus the run's event as dictionaries (their values cannot come from the environment).
  const config = join(reportDir, 'schemathesis.toml');
  writeFileSync(
    config,
    [
      readFileSync(join(import.meta.dirname, 'schemathesis.toml'), 'utf8'),
      `[dictionaries.event-namespace]\nvalues = [${JSON.stringify(platform.event.namespace)}]\n`,
      `[dictionaries.event-name]\nvalues = [${JSON.stringify(platform.event.name)}]\n`,
    ].join('\n'),
  );
  const args = [
    '--config-file',
    config,
    'run',
    `${baseUrl}/openapi.json`,
    '--checks',
    'all',
    // Releasing a hold (DELETE /v1/orders/{id}) is a change of state, not a deletion: the order
    // stays readable as RELEASED, as documented, so "a deleted resource answers 404" does not apply.
    '--exclude-checks',
    'use_after_free',
    '--phases',
    'examples,coverage,fuzzing,stateful',
    '--max-examples',
    String(budget.examples),
    ...(budget.maxTimeSeconds ? ['--max-time', String(budget.maxTimeSeconds)] : []),
    // One worker: the machine is shared, and the stateful phase's order sequences stay readable.
    '--workers',
    '1',
    '--no-color',
    '--report',
    'har',
    '--report-dir',
    reportDir,
  ];
  const env = {
    ...process.env,
    PYTHONPATH: import.meta.dirname,
    PYTHONDONTWRITEBYTECODE: '1',
    BOXOFFICE_FUZZ_BUYER_TOKEN: platform.buyerToken,
    BOXOFFICE_FUZZ_ORGANIZER_TOKEN: platform.organizerToken,
    BOXOFFICE_FUZZ_WEBHOOK_SECRET: webhookSecret,
  };
  // Run in the report's folder: schemathesis and hypothesis keep their example caches in the cwd.
  const { exitCode, output } = await new Promise<{ exitCode: number | null; output: string }>(
    (resolve, reject) => {
      const child = spawn(bin, args, { env, cwd: reportDir, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ exitCode: code, output }));
    },
  );
  return { api, exitCode, output, reportDir, answers: harAnswers(reportDir) };
}

interface Har {
  log: { entries: { request: { method: string; url: string }; response: { status: number } }[] };
}

/** Ids, names and namespaces in paths become their template, so the counts group by operation. */
const templates: [RegExp, string][] = [
  [/^\/v1\/orders\/[^/]+/, '/v1/orders/{orderId}'],
  [/^\/v1\/organizers\/[^/]+\/events\/[^/]+/, '/v1/organizers/{namespace}/events/{name}'],
  [/^\/v1\/events\/[^/]+\/[^/]+/, '/v1/events/{namespace}/{name}'],
];

function harAnswers(reportDir: string): Map<string, number> {
  const answers = new Map<string, number>();
  for (const file of readdirSync(reportDir).filter((f) => f.startsWith('har'))) {
    const har = JSON.parse(readFileSync(join(reportDir, file), 'utf8')) as Har;
    for (const { request, response } of har.log.entries) {
      let path = new URL(request.url).pathname;
      for (const [pattern, template] of templates) path = path.replace(pattern, template);
      const key = `${request.method} ${path} ${response.status}`;
      answers.set(key, (answers.get(key) ?? 0) + 1);
    }
  }
  return answers;
}

/** How many requests got an answer matching `pattern` (`METHOD /path status`). */
export function countAnswers(run: FuzzRun, pattern: RegExp): number {
  let count = 0;
  for (const [key, n] of run.answers) if (pattern.test(key)) count += n;
  return count;
}

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/deps/paths.ts';

/**
 * The chart as a user upgrading to this one has it installed: at the last tag, else as it was
 * before its latest change (the chart has no released version yet), extracted from git. Undefined
 * in a checkout without that history (a shallow clone, a tarball), or when that chart cannot run the
 * operator of this checkout (OPERATOR_NEEDS): the upgrade is then proven with the current chart and
 * changed values.
 */
export interface PreviousChart {
  dir: string;
  /** What it is, for the test's output: "v0.1.0", "0eb5eed (before 0b8b46b)". */
  describe: string;
}

const git = (...args: string[]): string | undefined => {
  try {
    return execFileSync('git', args, {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
};

const hasChart = (commit: string): boolean =>
  git('cat-file', '-e', `${commit}:charts/boxoffice/Chart.yaml`) !== undefined;

function previousCommit(): { commit: string; describe: string } | undefined {
  const tag = git('describe', '--tags', '--abbrev=0');
  if (tag && hasChart(tag)) return { commit: tag, describe: tag };
  // The working tree's chart differs from HEAD's: HEAD's is the previous one.
  if (git('diff', '--quiet', 'HEAD', '--', 'charts/boxoffice') === undefined && hasChart('HEAD'))
    return { commit: 'HEAD', describe: `${git('rev-parse', '--short', 'HEAD')} (HEAD)` };
  const last = git('rev-list', '-n', '1', 'HEAD', '--', 'charts/boxoffice');
  if (!last || !hasChart(`${last}^`)) return undefined;
  return {
    commit: `${last}^`,
    describe: `${git('rev-parse', '--short', `${last}^`)} (before ${git('rev-parse', '--short', last)})`,
  };
}

/**
 * What a chart must give the operator of this checkout, which the test runs under it (only the
 * current image is built): a chart from before tenant isolation has neither the Role in the platform
 * namespace nor the allocators' Secret references, and an operator refuses to start without them;
 * one from before KEDA's credentials as values leaves the local KEDA's trigger without a login.
 */
const OPERATOR_NEEDS = [
  { file: 'templates/operator/_rbac-rules.tpl', text: 'boxoffice.operator.allocatorRules' },
  { file: 'templates/operator/deployment.yaml', text: 'ALLOCATOR_SECRET_ENV' },
  { file: 'values.schema.json', text: 'allocatorUsername' },
  // KEDA runs locally: without its TriggerAuthentication (keda.kafka.*) no event becomes Ready.
  { file: 'templates/operator/deployment.yaml', text: 'KEDA_KAFKA_TRIGGER_AUTHENTICATION' },
];

const runsThisOperator = (dir: string): boolean =>
  OPERATOR_NEEDS.every(({ file, text }) => {
    try {
      return readFileSync(join(dir, file), 'utf8').includes(text);
    } catch {
      return false;
    }
  });

export function extractPreviousChart(into: string): PreviousChart | undefined {
  const previous = previousCommit();
  if (!previous) return undefined;
  mkdirSync(into, { recursive: true });
  const archive = execFileSync('git', ['archive', previous.commit, 'charts/boxoffice'], {
    cwd: repoRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  execFileSync('tar', ['-x', '-C', into], { input: archive });
  const dir = join(into, 'charts', 'boxoffice');
  if (!runsThisOperator(dir)) {
    console.log(
      `the previous chart, ${previous.describe}, cannot run this operator (it lacks a setting or right the operator needs now, OPERATOR_NEEDS): the upgrade is proven with the current chart and changed values`,
    );
    return undefined;
  }
  return { dir, describe: previous.describe };
}

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  additionalProperties?: unknown;
}

/**
 * The values a user of an older chart has: the same settings without the keys that chart did not
 * know yet (its values.schema.json refuses unknown keys). Free-form maps (env, labels) stay whole.
 */
export function valuesKnownTo(chartDir: string, values: Record<string, unknown>): Record<string, unknown> {
  const prune = (value: unknown, schema: JsonSchema | undefined): unknown => {
    if (!schema?.properties || typeof value !== 'object' || value === null || Array.isArray(value))
      return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key in schema.properties! || schema.additionalProperties !== false)
        .map(([key, inner]) => [key, prune(inner, schema.properties![key])]),
    );
  };
  const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as JsonSchema;
  return prune(values, schema) as Record<string, unknown>;
}

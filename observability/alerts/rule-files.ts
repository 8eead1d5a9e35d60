/**
 * The alert rule files read back: their groups, alerts and the promtool unit tests beside them. One
 * source for the PrometheusRule the chart ships and for the tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../scripts/deps/paths.ts';

export const ALERTS_DIR = 'observability/alerts';
export const RULE_TESTS_DIR = `${ALERTS_DIR}/tests`;
/** Where each alert's `runbook_url` points: docs/runbooks/<alert>.md on the default branch. */
export const RUNBOOK_BASE_URL = 'https://github.com/boxoffice-dev/boxoffice/blob/main/docs/runbooks';

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: Rule[];
}

const yamlFiles = (dir: string): string[] =>
  readdirSync(join(repoRoot, dir))
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => `${dir}/${file}`);

/** The rule files (repository-relative paths), in a stable order. */
export const ruleFiles = (): string[] => yamlFiles(ALERTS_DIR);
export const ruleTestFiles = (): string[] => yamlFiles(RULE_TESTS_DIR);

export function ruleGroups(file: string): RuleGroup[] {
  return (parse(readFileSync(join(repoRoot, file), 'utf8')) as { groups: RuleGroup[] }).groups;
}

/** Every group of every rule file, as the PrometheusRule's `spec.groups`. */
export const allRuleGroups = (): RuleGroup[] => ruleFiles().flatMap(ruleGroups);

export const alertRules = (): Rule[] =>
  allRuleGroups()
    .flatMap((group) => group.rules)
    .filter((rule) => rule.alert);

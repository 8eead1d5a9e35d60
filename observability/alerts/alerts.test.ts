import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { repoRoot } from '../../scripts/deps/paths.ts';
import { alertRules, ruleFiles, ruleTestFiles, RUNBOOK_BASE_URL } from './rule-files.ts';

interface RuleTestFile {
  rule_files: string[];
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const testFiles = ruleTestFiles().map(
  (file) => parse(readFileSync(join(repoRoot, file), 'utf8')) as RuleTestFile,
);
const names = [...new Set(alertRules().map((rule) => rule.alert!))];

describe('the alert rules', () => {
  it('name every alert Boxoffice…, with a severity of critical, warning or none', () => {
    expect(names.length).toBeGreaterThanOrEqual(20);
    for (const rule of alertRules()) {
      expect([rule.alert, /^Boxoffice[A-Z]\w+$/.test(rule.alert!)]).toEqual([rule.alert, true]);
      expect([rule.alert, ['critical', 'warning', 'none'].includes(rule.labels?.severity ?? '')]).toEqual([
        rule.alert,
        true,
      ]);
    }
  });

  it('give every alert a summary, a description and a runbook_url to its runbook in docs/runbooks/', () => {
    for (const rule of alertRules()) {
      const { summary, description, runbook_url: url } = rule.annotations ?? {};
      expect([rule.alert, Boolean(summary && description)]).toEqual([rule.alert, true]);
      expect([rule.alert, url]).toEqual([rule.alert, `${RUNBOOK_BASE_URL}/${rule.alert}.md`]);
    }
  });

  it('have a runbook per alert that says what it means, what to check and what to do', () => {
    for (const name of names) {
      const file = join(repoRoot, 'docs', 'runbooks', `${name}.md`);
      expect([name, existsSync(file)]).toEqual([name, true]);
      const headings = [...readFileSync(file, 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) => m[1]);
      expect([name, headings]).toEqual([
        name,
        expect.arrayContaining([name, 'What it means', 'What to check', 'What to do']),
      ]);
    }
  });

  it('have promtool tests that see each alert fire and see it stay quiet', () => {
    const cases = testFiles.flatMap((file) => file.tests.flatMap((test) => test.alert_rule_test ?? []));
    const firing = new Set(cases.filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname));
    const quiet = new Set(cases.filter((c) => c.exp_alerts.length === 0).map((c) => c.alertname));
    expect(names.filter((name) => !firing.has(name))).toEqual([]);
    expect(names.filter((name) => !quiet.has(name) && name !== 'BoxofficeWatchdog')).toEqual([]);
  });

  it('have a promtool test file for every rule file', () => {
    const tested = testFiles.flatMap((file) =>
      file.rule_files.map((f) => `observability/alerts/${f.replace('../', '')}`),
    );
    expect(ruleFiles().filter((file) => !tested.includes(file))).toEqual([]);
  });
});

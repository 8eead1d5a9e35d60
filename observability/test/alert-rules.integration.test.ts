import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { readEnvFile } from '../../scripts/deps/env-file.ts';
import { envFile, repoRoot } from '../../scripts/deps/paths.ts';
import { ruleFiles, ruleTestFiles } from '../alerts/rule-files.ts';

const promtool = (...args: string[]) => {
  const bin = process.env.PROMTOOL_BIN ?? readEnvFile(envFile).PROMTOOL_BIN ?? 'promtool';
  const result = spawnSync(bin, args, { cwd: repoRoot, encoding: 'utf8' });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
};

describe('the alert rules under promtool (Debian’s Prometheus tools)', () => {
  it('pass promtool check rules', () => {
    const result = promtool('check', 'rules', ...ruleFiles());
    expect([result.code, result.output]).toEqual([0, expect.stringContaining('SUCCESS')]);
    expect(result.output).not.toMatch(/FAILED|WARNING/);
  });

  it('pass their promtool unit tests (each alert firing and quiet)', () => {
    const result = promtool('test', 'rules', ...ruleTestFiles());
    expect([result.code, result.output]).toEqual([0, expect.not.stringContaining('FAILED')]);
  });
});

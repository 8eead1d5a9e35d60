import { join } from 'node:path';
import * as prettier from 'prettier';
import { repoRoot } from './deps/paths.ts';

/** `text` formatted as `prettier --check` expects for `file`, so generated files pass the lint step as written. */
export async function formatAsCommitted(file: string, text: string): Promise<string> {
  const options = (await prettier.resolveConfig(join(repoRoot, file))) ?? {};
  return prettier.format(text, { ...options, filepath: file });
}

import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export type Settings = Record<string, string>;

/** Reads a KEY=VALUE file (the format `deps up` writes and dotenv-style tools read). */
export function readEnvFile(path: string): Settings {
  if (!existsSync(path)) return {};
  const settings: Settings = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) settings[match[1]!] = match[2]!;
  }
  return settings;
}

export function writeEnvFile(path: string, settings: Settings, header: string): void {
  const lines = Object.entries(settings).map(([key, value]) => `${key}=${value}`);
  writeFileSync(path, `# ${header}\n${lines.join('\n')}\n`);
}

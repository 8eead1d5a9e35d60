import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../deps/paths.ts';

/**
 * What the boxoffice image runs, read from the Dockerfile's final stage (one source): ENTRYPOINT
 * and CMD in exec form, from WORKDIR. The local runtime runs the same command against the checkout
 * instead of the image, so `args: ["purchase-api"]` starts purchase-api through images/entrypoint.ts
 * exactly as in a container.
 */
export interface ImageCommand {
  entrypoint: string[];
  cmd: string[];
  workdir: string;
}

export function parseDockerfile(text: string): ImageCommand {
  const stages = text.split(/^FROM\s/m);
  const final = stages.at(-1) ?? '';
  const instruction = (name: string): string | undefined =>
    [...final.matchAll(new RegExp(`^${name}\\s+(.+)$`, 'gm'))].at(-1)?.[1]?.trim();
  const execForm = (name: string): string[] => {
    const value = instruction(name);
    if (value === undefined) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string'))
      throw new Error(`Dockerfile ${name} must be in exec form (a JSON array of strings): ${value}`);
    return parsed as string[];
  };
  return { entrypoint: execForm('ENTRYPOINT'), cmd: execForm('CMD'), workdir: instruction('WORKDIR') ?? '/' };
}

export function boxofficeImageCommand(): ImageCommand {
  return parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
}

/**
 * The process a container runs, by Kubernetes' rules: `command` replaces ENTRYPOINT (and then
 * CMD is not used), `args` replaces CMD.
 */
export function containerArgv(
  image: ImageCommand,
  container: { command?: string[]; args?: string[] },
): string[] {
  const command = container.command?.length ? container.command : image.entrypoint;
  const args = container.args?.length ? container.args : container.command?.length ? [] : image.cmd;
  return [...command, ...args];
}

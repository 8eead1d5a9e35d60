import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '../deps/paths.ts';
import { NODE_VERSION } from './base-image.ts';

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');

/** The npm workspaces of the root package.json, globs expanded. */
function workspaces(): string[] {
  const { workspaces: patterns } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  return patterns.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern];
    const parent = pattern.slice(0, -2);
    return readdirSync(join(repoRoot, parent))
      .map((dir) => `${parent}/${dir}`)
      .filter((dir) => existsSync(join(repoRoot, dir, 'package.json')));
  });
}

describe('the Dockerfile', () => {
  it('copies every workspace manifest before npm ci (without one, npm ci silently leaves that workspace and its dependencies out)', () => {
    const copied = [...dockerfile.matchAll(/^COPY (\S+)\/package\.json \1\/$/gm)].map((match) => match[1]);
    expect(copied.sort()).toEqual(workspaces().sort());
  });

  it('defaults to the official Node image of the version the local base image carries', () => {
    expect(dockerfile).toMatch(
      new RegExp(
        `^ARG BASE_IMAGE=docker\\.io/library/node:${NODE_VERSION.replaceAll('.', '\\.')}-bookworm-slim$`,
        'm',
      ),
    );
  });

  it('leaves health checks to the chart', () => {
    expect(dockerfile).not.toMatch(/^HEALTHCHECK/m);
  });
});

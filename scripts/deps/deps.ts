import { mkdirSync } from 'node:fs';
import { readEnvFile, writeEnvFile, type Settings } from './env-file.ts';
import { KubeControlPlane } from './kube.ts';
import { Kafka } from './kafka.ts';
import type { Part } from './part.ts';
import { Helm } from './helm.ts';
import { checkGoBuilds } from './go-builds.ts';
import { Jaeger } from './jaeger.ts';
import { Keda } from './keda.ts';
import { envFile, stateDir } from './paths.ts';
import { Postgres } from './postgres.ts';
import { Redis } from './redis.ts';
import { Tools } from './tools.ts';

export const parts: Part[] = [
  new Postgres(),
  new Redis(),
  new Kafka(),
  new KubeControlPlane(),
  new Keda(),
  new Tools(),
  new Helm(),
  new Jaeger(),
];

/** Installs or builds every part that the environment does not already provide. */
export async function ensureAll(): Promise<void> {
  checkGoBuilds(parts.filter((part) => !part.external()));
  for (const part of parts) if (!part.external()) await part.ensure();
}

export interface UpResult {
  settings: Settings;
  versions: string[];
  /** Names of the parts this call started (as opposed to found running or external). */
  started: string[];
}

/**
 * Starts every part not provided by env vars (reusing those already running) and writes the
 * combined settings to the env file. Independent parts start concurrently; a part that `needs`
 * others starts once they are up, with their settings.
 */
export async function upAll(): Promise<UpResult> {
  mkdirSync(stateDir, { recursive: true });
  await ensureAll();
  const started: string[] = [];
  const upOne = async (part: Part, needed?: Settings): Promise<Settings> => {
    const external = part.external();
    if (external) return external;
    if (!part.running()) started.push(part.name);
    return part.up(needed);
  };
  const first = await Promise.all(parts.filter((part) => !part.needs).map((part) => upOne(part)));
  const settings: Settings = Object.assign({}, ...first);
  for (const part of parts.filter((p) => p.needs)) Object.assign(settings, await upOne(part, settings));
  writeEnvFile(envFile, settings, 'written by `npm run deps -- up`; read by services and tests');
  const versions = await Promise.all(parts.map((part) => part.version(settings)));
  return { settings, versions, started };
}

export async function downAll(): Promise<void> {
  for (const part of [...parts].reverse()) await part.down();
}

export async function statusAll(): Promise<void> {
  const settings = readEnvFile(envFile);
  for (const part of parts) {
    const external = part.external();
    const state = external ? 'external' : part.running() ? 'running' : 'stopped';
    const version =
      state === 'stopped'
        ? ''
        : await part.version(settings).catch((e: Error) => `unreachable: ${e.message}`);
    console.log(`${part.name.padEnd(12)} ${state.padEnd(9)} ${version}`);
  }
}

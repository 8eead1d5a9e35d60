/**
 * The chart as the tests see it: `helm` (built by `npm run deps -- ensure`, HELM_BIN in deps.env)
 * run against charts/boxoffice, its output parsed into objects.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { readEnvFile } from '../../scripts/deps/env-file.ts';
import { envFile, repoRoot } from '../../scripts/deps/paths.ts';

export const chartDir = join(repoRoot, 'charts', 'boxoffice');

/** The value sets of ci/ (file names), each rendered and applied by the tests. */
export const ciValueFiles = readdirSync(join(chartDir, 'ci'))
  .filter((file) => file.endsWith('.yaml'))
  .sort();

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

function helmBin(): string {
  const bin = process.env.HELM_BIN ?? readEnvFile(envFile).HELM_BIN;
  if (!bin)
    throw new Error('HELM_BIN is not set: run the integration tests through jest or `npm run deps -- up`');
  return bin;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm; resolves with its exit code and output (a failing helm is a result, not an exception). */
export async function helm(...args: string[]): Promise<HelmResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(helmBin(), args, { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

export interface RenderOptions {
  /** A file of ci/ (or an absolute path). */
  valuesFile?: string;
  set?: Record<string, string>;
  namespace?: string;
  release?: string;
}

function renderArgs(options: RenderOptions): string[] {
  const args = [
    'template',
    options.release ?? 'boxoffice',
    chartDir,
    '--namespace',
    options.namespace ?? 'boxoffice',
  ];
  if (options.valuesFile)
    args.push(
      '--values',
      isAbsolute(options.valuesFile) ? options.valuesFile : join(chartDir, 'ci', options.valuesFile),
    );
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set', `${key}=${value}`);
  return args;
}

/** `helm template` as YAML text; throws with helm's message when it fails. */
export async function renderText(options: RenderOptions = {}): Promise<string> {
  const result = await helm(...renderArgs(options));
  if (result.code !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return result.stdout;
}

/** `helm template` as objects (empty documents dropped). */
export async function render(options: RenderOptions = {}): Promise<KubeObject[]> {
  return parseAllDocuments(await renderText(options))
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

export function find(objects: KubeObject[], kind: string, nameSuffix = ''): KubeObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name.endsWith(nameSuffix));
  if (!found) throw new Error(`no ${kind} named *${nameSuffix} in the rendered chart`);
  return found;
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: { httpGet: { path: string; port: string | number } };
  livenessProbe?: { httpGet: { path: string; port: string | number } };
  startupProbe?: { httpGet: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
}

export interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: Container[]; securityContext?: Record<string, unknown>; [field: string]: unknown };
}

export const podTemplate = (workload: KubeObject): PodTemplate =>
  (workload as unknown as { spec: { template: PodTemplate } }).spec.template;

/** A container's env as a map of plain values (secret references left out). */
export function plainEnv(container: Container): Record<string, string> {
  return Object.fromEntries(
    (container.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
  );
}

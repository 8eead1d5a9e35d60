/**
 * skaffold.yaml as the tests read it, without skaffold (it cannot be built on these machines): the
 * file, its profiles applied as skaffold applies them (JSON patches), its templates expanded, and
 * the `helm` arguments skaffold's Helm deployer passes for a release (pkg/skaffold/helm/args.go,
 * ConstructOverrideArgs: setValues, then setValueTemplates, each as --set in key order). Only what
 * skaffold.yaml uses is modelled; anything else is refused, so the model cannot silently drift
 * from the file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonPatch } from 'cdk8s';
import { parse } from 'yaml';
import { repoRoot } from '../deps/paths.ts';

export const SKAFFOLD_FILE = join(repoRoot, 'skaffold.yaml');

/** skaffold's published JSON schemas, beside the checkout (never copied into it). */
export const skaffoldSchemaDir = join(repoRoot, '..', 'shared', 'third-party', 'skaffold-schema');

export interface HelmRelease {
  name: string;
  chartPath: string;
  namespace: string;
  createNamespace?: boolean;
  wait?: boolean;
  setValues?: Record<string, unknown>;
  setValueTemplates?: Record<string, string>;
  valuesFiles?: string[];
}

export interface Artifact {
  image: string;
  context?: string;
  docker?: { dockerfile?: string };
  custom?: { buildCommand: string; dependencies?: { dockerfile?: { path: string } } };
}

export interface PortForward {
  resourceType: string;
  resourceName: string;
  namespace: string;
  port: number | string;
  localPort: number;
}

export interface SkaffoldConfig {
  apiVersion: string;
  kind: string;
  build: { artifacts: Artifact[]; local?: { push?: boolean }; tagPolicy?: Record<string, unknown> };
  deploy: { helm: { releases: HelmRelease[] }; statusCheckDeadlineSeconds?: number };
  portForward?: PortForward[];
  profiles?: { name: string; patches?: { op: string; path: string; value?: unknown; from?: string }[] }[];
}

export const readSkaffoldConfig = (text = readFileSync(SKAFFOLD_FILE, 'utf8')): SkaffoldConfig =>
  parse(text) as SkaffoldConfig;

export const profileNames = (config: SkaffoldConfig): string[] => (config.profiles ?? []).map((p) => p.name);

/** The config as `skaffold -p <names>` sees it: each named profile's patches applied, in order. */
export function withProfiles(config: SkaffoldConfig, names: string[]): SkaffoldConfig {
  let effective: SkaffoldConfig = structuredClone(config);
  for (const name of names) {
    const profile = config.profiles?.find((p) => p.name === name);
    if (!profile) throw new Error(`skaffold.yaml has no profile ${name}`);
    const others = Object.keys(profile).filter((key) => key !== 'name' && key !== 'patches');
    if (others.length)
      throw new Error(`profile ${name}: only patches are modelled here, not ${others.join(', ')}`);
    const patches = (profile.patches ?? []).map((patch) => {
      switch (patch.op) {
        case 'add':
          return JsonPatch.add(patch.path, patch.value);
        case 'replace':
          return JsonPatch.replace(patch.path, patch.value);
        case 'remove':
          return JsonPatch.remove(patch.path);
        default:
          throw new Error(`profile ${name}: patch op ${patch.op} is not modelled here`);
      }
    });
    effective = JsonPatch.apply(effective, ...patches) as SkaffoldConfig;
  }
  delete effective.profiles;
  return effective;
}

/** The variables skaffold's helm deployer offers for an artifact (IMAGE_REPO_<name>, …; `/`, `-`, `.`, `:` as `_`). */
export function imageVariables(
  artifact: string,
  image: { repository: string; tag: string; digest?: string },
) {
  const suffix = artifact.replaceAll(/[/\-.:]/g, '_');
  return {
    [`IMAGE_REPO_${suffix}`]: image.repository,
    [`IMAGE_TAG_${suffix}`]: image.tag,
    [`IMAGE_DIGEST_${suffix}`]: image.digest ?? '',
  };
}

const VARIABLE = /\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The environment variables a template reads; a template action other than `{{.NAME}}` is refused. */
export function templateVariables(template: string): string[] {
  const rest = template.replaceAll(VARIABLE, '');
  if (rest.includes('{{')) throw new Error(`template ${template}: only {{.NAME}} is modelled here`);
  return [...template.matchAll(VARIABLE)].map((match) => match[1]!);
}

/** Go's text/template on a map: a missing key renders as "<no value>". */
export const expandTemplate = (template: string, env: Record<string, string>): string => {
  templateVariables(template);
  return template.replaceAll(VARIABLE, (_match, name: string) => env[name] ?? '<no value>');
};

/** `helm template` arguments for a release, as skaffold's helm deployer builds them. */
export function helmTemplateArgs(release: HelmRelease, env: Record<string, string>): string[] {
  const args = [
    'template',
    release.name,
    join(repoRoot, release.chartPath),
    '--namespace',
    release.namespace,
  ];
  const sorted = (map: Record<string, unknown> = {}) => Object.keys(map).sort();
  for (const key of sorted(release.setValues))
    args.push('--set', `${key}=${String(release.setValues![key])}`);
  for (const key of sorted(release.setValueTemplates)) {
    // skaffold trims a trailing "@" (a tag@digest template without a digest).
    const value = expandTemplate(release.setValueTemplates![key]!, env).replace(/@$/, '');
    args.push('--set', `${expandTemplate(key, env)}=${value}`);
  }
  for (const file of release.valuesFiles ?? []) args.push('-f', join(repoRoot, expandTemplate(file, env)));
  return args;
}

/** Every path the config names (relative to the repository), with what must be there. */
export function namedPaths(
  config: SkaffoldConfig,
): { path: string; is: 'directory' | 'file' | 'executable' }[] {
  const paths: { path: string; is: 'directory' | 'file' | 'executable' }[] = [];
  for (const artifact of config.build.artifacts) {
    const context = artifact.context ?? '.';
    paths.push({ path: context, is: 'directory' });
    if (artifact.docker)
      paths.push({ path: join(context, artifact.docker.dockerfile ?? 'Dockerfile'), is: 'file' });
    if (artifact.custom) {
      const [command, ...words] = artifact.custom.buildCommand.split(/\s+/);
      paths.push({ path: join(context, command!), is: 'executable' });
      for (const word of words.filter((w) => w.includes('/')))
        paths.push({ path: join(context, word), is: 'file' });
      const dockerfile = artifact.custom.dependencies?.dockerfile?.path;
      if (dockerfile) paths.push({ path: join(context, dockerfile), is: 'file' });
    }
  }
  for (const release of config.deploy.helm.releases) {
    paths.push({ path: join(release.chartPath, 'Chart.yaml'), is: 'file' });
    for (const file of release.valuesFiles ?? []) paths.push({ path: file, is: 'file' });
  }
  return paths;
}

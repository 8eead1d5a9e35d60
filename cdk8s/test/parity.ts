/**
 * The chart and the cdk8s app side by side: `helm template` and the construct, given the same
 * values, must write the same objects. What differs on purpose, and the API server's defaults that
 * cdk8s-plus writes out where the chart leaves them to the server, are removed here, each with its
 * reason; everything else is compared whole.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { parse, stringify } from 'yaml';
import { chartDir, render, type KubeObject } from '../../test/chart/helm.ts';
import { BoxofficePlatform } from '../src/platform.ts';

/** Values given to both, as one values file of the chart holds them. */
export interface ValueSet {
  values: Record<string, unknown>;
  namespace: string;
  release: string;
}

/** A value set of charts/boxoffice/ci/. */
export const ciValues = (file: string): Record<string, unknown> =>
  parse(readFileSync(join(chartDir, 'ci', file), 'utf8')) as Record<string, unknown>;

/** The construct synthesized with a value set, in a chart of its own (as a user embeds it). */
export function synthesize(set: ValueSet): KubeObject[] {
  const chart = new Chart(new App(), 'parity', { disableResourceNameHashes: true });
  new BoxofficePlatform(chart, set.release, { ...set.values, namespace: set.namespace });
  return chart.toJson() as KubeObject[];
}

/** `helm template` with the same values, handed over as a values file. */
export async function renderChart(set: ValueSet): Promise<KubeObject[]> {
  const dir = mkdtempSync(join(tmpdir(), 'boxoffice-parity-'));
  try {
    const valuesFile = join(dir, 'values.yaml');
    writeFileSync(valuesFile, stringify(set.values));
    return await render({ valuesFile, namespace: set.namespace, release: set.release });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const keyOf = (object: KubeObject): string =>
  `${object.kind} ${object.metadata.namespace ?? '-'}/${object.metadata.name}`;

/**
 * Differences that are meant: each one's place and why. `normalize` removes exactly these (and
 * the server defaults below) from both sides.
 */
export const MEANT_DIFFERENCES = {
  'metadata.labels["helm.sh/chart"]': "Helm's chart-and-version label; a cdk8s app has no chart version",
  'metadata.labels["app.kubernetes.io/managed-by"]':
    'who manages the object: Helm, or cdk8s (checked on its own, not dropped unseen)',
  'spec.template.metadata.labels["cdk8s.io/metadata.addr"]':
    "cdk8s-plus labels each pod template with its construct's address (not part of the selector)",
  'spec.template.metadata.annotations["checksum/secret"]':
    "each digests the Secret its own way (Helm hashes the template's text); both change with a credential",
  'CustomResourceDefinition metadata.annotations["helm.sh/resource-policy"]':
    'keeps the CRD on `helm uninstall` (crds.keep); cdk8s uninstalls nothing',
  'Ingress spec.rules[].http.paths order':
    'cdk8s-plus sorts the paths; the Ingress API matches the longest path, whatever the order',
  'Deployment probes httpGet.port, Service targetPort':
    'the chart names the port (http), cdk8s-plus gives its number: the same port',
  'NOTES.txt': 'Helm prints it after an install; a cdk8s app has no install step',
} as const;

/**
 * Fields cdk8s-plus writes with the value the API server gives them when left out (Kubernetes API
 * defaults), which the chart leaves out: removed where they hold exactly that value.
 */
const SERVER_DEFAULTS: { kind: string; path: string; value: unknown }[] = [
  { kind: 'Deployment', path: 'spec.minReadySeconds', value: 0 },
  { kind: 'Deployment', path: 'spec.progressDeadlineSeconds', value: 600 },
  {
    kind: 'Deployment',
    path: 'spec.strategy',
    value: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
  },
  { kind: 'Deployment', path: 'spec.template.spec.dnsPolicy', value: 'ClusterFirst' },
  { kind: 'Deployment', path: 'spec.template.spec.hostNetwork', value: false },
  { kind: 'Deployment', path: 'spec.template.spec.restartPolicy', value: 'Always' },
  { kind: 'Deployment', path: 'spec.template.spec.setHostnameAsFQDN', value: false },
  { kind: 'Deployment', path: 'spec.template.spec.shareProcessNamespace', value: false },
  { kind: 'Deployment', path: 'spec.template.spec.automountServiceAccountToken', value: true },
  { kind: 'ServiceAccount', path: 'automountServiceAccountToken', value: true },
  // Not a default but the same meaning: no external IPs.
  { kind: 'Service', path: 'spec.externalIPs', value: [] },
];

type Json = Record<string, unknown>;

/**
 * Deep equality of JSON values by content only. Not util.isDeepStrictEqual, which also compares
 * prototypes: under jest the manifests and the test's literals come from different realms.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((key) => [key, canonical((value as Json)[key])]),
          )
        : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function at(object: Json, path: string[]): { parent: Json; key: string } | undefined {
  let parent: unknown = object;
  for (const key of path.slice(0, -1)) {
    parent = (parent as Json | undefined)?.[key];
    if (parent === null || typeof parent !== 'object') return undefined;
  }
  return { parent: parent as Json, key: path.at(-1)! };
}

function drop(object: Json, path: string[], onlyIf?: (value: unknown) => boolean): void {
  const place = at(object, path);
  if (!place || !(place.key in place.parent)) return;
  if (onlyIf && !onlyIf(place.parent[place.key])) return;
  delete place.parent[place.key];
  // An annotations or labels map left empty by the removal counts as absent.
  const rest = place.parent;
  if (Object.keys(rest).length === 0 && path.length > 1) drop(object, path.slice(0, -1));
}

interface Container {
  ports?: { name?: string; containerPort: number }[];
  [probe: string]: unknown;
}

/** A named port as its number: a probe or Service that names the port reaches the same one as its number. */
function portNumber(port: unknown, containers: Container[]): unknown {
  if (typeof port !== 'string') return port;
  for (const container of containers) {
    const found = container.ports?.find((p) => p.name === port);
    if (found) return found.containerPort;
  }
  return port;
}

function normalizeContainers(containers: Container[]): void {
  for (const container of containers) {
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      const httpGet = (container[probe] as { httpGet?: Json } | undefined)?.httpGet;
      if (!httpGet) continue;
      httpGet.port = portNumber(httpGet.port, containers);
      // HTTP is the API server's default scheme.
      if (httpGet.scheme === 'HTTP') delete httpGet.scheme;
    }
  }
}

/**
 * cdk8s-plus sorts each rule's paths; the Ingress API matches a request by its longest matching
 * path (and ingress-nginx orders regular expressions by length), not by the order they are listed.
 */
function sortIngressPaths(ingress: Json): void {
  const rules = (ingress.spec as { rules?: { http?: { paths: { path: string; pathType: string }[] } }[] })
    .rules;
  for (const rule of rules ?? [])
    rule.http?.paths.sort((a, b) => `${a.path} ${a.pathType}`.localeCompare(`${b.path} ${b.pathType}`));
}

/** One side's objects, each with the meant differences and written-out server defaults removed. */
export function normalize(objects: KubeObject[]): Map<string, Json> {
  const containersOf = (object: Json): Container[] =>
    ((object.spec as Json | undefined)?.template as { spec?: { containers?: Container[] } } | undefined)?.spec
      ?.containers ?? [];
  const byKey = new Map<string, Json>();
  for (const original of objects) {
    const object = structuredClone(original) as unknown as Json;
    drop(object, ['metadata', 'labels', 'helm.sh/chart']);
    drop(object, ['metadata', 'labels', 'app.kubernetes.io/managed-by']);
    drop(object, ['spec', 'template', 'metadata', 'labels', 'helm.sh/chart']);
    drop(object, ['spec', 'template', 'metadata', 'labels', 'app.kubernetes.io/managed-by']);
    drop(object, ['spec', 'template', 'metadata', 'labels', 'cdk8s.io/metadata.addr']);
    drop(object, ['spec', 'template', 'metadata', 'annotations', 'checksum/secret']);
    if (original.kind === 'CustomResourceDefinition')
      drop(object, ['metadata', 'annotations', 'helm.sh/resource-policy']);
    for (const { kind, path, value } of SERVER_DEFAULTS) {
      if (original.kind === kind) drop(object, path.split('.'), (found) => sameJson(found, value));
    }
    normalizeContainers(containersOf(object));
    if (original.kind === 'Ingress') sortIngressPaths(object);
    byKey.set(keyOf(original), object);
  }
  // A Service's named targetPort, as the number of that port on the pods it selects.
  for (const object of byKey.values()) {
    if (object.kind !== 'Service') continue;
    const spec = object.spec as { selector: Json; ports: Json[] };
    const workload = [...byKey.values()].find(
      (other) =>
        other.kind === 'Deployment' &&
        sameJson((other.spec as { selector: { matchLabels: Json } }).selector.matchLabels, spec.selector),
    );
    for (const port of spec.ports)
      port.targetPort = portNumber(port.targetPort, workload ? containersOf(workload) : []);
  }
  return byKey;
}

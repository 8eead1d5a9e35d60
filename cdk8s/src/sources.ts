/**
 * Facts the chart holds as files, read from them rather than copied: the chart's name and
 * appVersion (the platform version: default image tag, version label), the operator's RBAC rules
 * (operator/rbac/, what its integration tests bind it to) and the Prometheus alert rules.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const repoFile = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const readYaml = (path: string): unknown => parse(readFileSync(repoFile(path), 'utf8'));

export const CHART_DIR = 'charts/boxoffice';

export interface ChartMetadata {
  name: string;
  version: string;
  appVersion: string;
}

export const chartMetadata = (): ChartMetadata => readYaml(`${CHART_DIR}/Chart.yaml`) as ChartMetadata;

/** A PolicyRule as Role and ClusterRole files hold it. */
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export const OPERATOR_RBAC = {
  cluster: 'operator/rbac/clusterrole.yaml',
  leaderElection: 'operator/rbac/leader-election-role.yaml',
  allocators: 'operator/rbac/allocators-role.yaml',
} as const;

export function rulesOf(file: string): PolicyRule[] {
  const rules = (readYaml(file) as { rules?: PolicyRule[] }).rules;
  if (!rules) throw new Error(`${file} has no rules`);
  return rules;
}

/**
 * The PrometheusRule's spec, files/prometheus-rules.yaml as the chart includes it: verbatim (its
 * annotations are Prometheus templates, such as `{{ $labels.event }}`, not Helm's).
 */
export function prometheusRulesSpec(): unknown {
  return parse(readFileSync(repoFile(`${CHART_DIR}/files/prometheus-rules.yaml`), 'utf8'));
}

/** The Grafana dashboards the chart ships (files/dashboards/*.json), by name, as their JSON text. */
export function dashboardFiles(): [string, string][] {
  const dir = repoFile(`${CHART_DIR}/files/dashboards`);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => [
      file.slice(0, -'.json'.length),
      readFileSync(join(dir, file), 'utf8').replace(/\n$/, ''),
    ]);
}

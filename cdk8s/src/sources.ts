/**
 * Facts the chart holds as files, read from them rather than copied: the chart's name and
 * appVersion (the platform version: default image tag, version label), the operator's RBAC rules
 * (operator/rbac/, what its integration tests bind it to) and the Prometheus alert rules.
 */
import { readFileSync } from 'node:fs';
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
} as const;

export function rulesOf(file: string): PolicyRule[] {
  const rules = (readYaml(file) as { rules?: PolicyRule[] }).rules;
  if (!rules) throw new Error(`${file} has no rules`);
  return rules;
}

/**
 * The PrometheusRule's spec, as the chart renders files/prometheus-rules.yaml with `tpl`: only the
 * release's name and namespace are substituted; any other template action is refused rather than
 * left in an alert.
 */
export function prometheusRulesSpec(release: { name: string; namespace: string }): unknown {
  const text = readFileSync(repoFile(`${CHART_DIR}/files/prometheus-rules.yaml`), 'utf8')
    .replaceAll(/\{\{-?\s*\.Release\.Namespace\s*-?\}\}/g, release.namespace)
    .replaceAll(/\{\{-?\s*\.Release\.Name\s*-?\}\}/g, release.name);
  const action = text.match(/\{\{.*?\}\}/);
  if (action)
    throw new Error(`${CHART_DIR}/files/prometheus-rules.yaml: cannot render ${action[0]} outside Helm`);
  return parse(text);
}

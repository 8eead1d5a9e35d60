import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root (scripts/deps/ is two levels below it). */
export const repoRoot = resolve(import.meta.dirname, '..', '..');

/** Built or downloaded tools, shared by every checkout on the machine and kept between runs. */
export const cacheDir =
  process.env.BOXOFFICE_CACHE_DIR ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'boxoffice');

/** Data, logs and PID files of the processes this checkout started. */
export const stateDir = process.env.BOXOFFICE_STATE_DIR ?? join(repoRoot, '.boxoffice');

export const depsStateDir = join(stateDir, 'deps');

/** Connection settings written by `deps up`, read by services and tests. */
export const envFile = join(stateDir, 'deps.env');

/** KEDA's released CRDs, read from the shared third-party folder beside the checkout. */
export const kedaCrdDir =
  process.env.BOXOFFICE_KEDA_CRDS ?? resolve(repoRoot, '..', 'shared', 'third-party', 'keda-v2.20.2', 'crds');

/** The Prometheus Operator's released CRDs (ServiceMonitor, PodMonitor, PrometheusRule), beside KEDA's. */
export const prometheusOperatorCrdDir =
  process.env.BOXOFFICE_PROMETHEUS_OPERATOR_CRDS ??
  resolve(kedaCrdDir, '..', '..', 'prometheus-operator-v0.93.1', 'crds');

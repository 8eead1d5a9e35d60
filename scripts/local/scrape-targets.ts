import type { LocalPod } from './pod-worker.ts';

/**
 * What the chart's ServiceMonitor and PodMonitors make Prometheus scrape in a cluster, for the pods
 * the local kubelet stand-in runs: every boxoffice container port (each component has one, serving
 * its probes and /metrics), at the host port it was given, labelled like the monitors' targets. The
 * result is a Prometheus file_sd document, rewritten as pods come and go (an event's allocator, a
 * rolled pod on a moved port), so Prometheus follows them without a restart.
 */
export interface FileSdGroup {
  targets: string[];
  labels: Record<string, string>;
}

const COMPONENT_LABEL = 'app.kubernetes.io/component';

export function scrapeTargets(pods: LocalPod[]): FileSdGroup[] {
  return (
    pods
      .flatMap((pod) => {
        const component = pod.labels[COMPONENT_LABEL];
        if (!component) return [];
        return pod.ports.map((port) => ({
          targets: [`127.0.0.1:${port.hostPort}`],
          labels: {
            // The alert rules and dashboards select `job=~".*boxoffice.*"`, as the monitors' jobs are.
            job: `boxoffice-${component}`,
            namespace: pod.namespace,
            pod: pod.name,
            container: port.container,
          },
        }));
      })
      // A stable order, so the file changes only when a target does.
      .sort((a, b) => `${a.labels.job} ${a.labels.pod}`.localeCompare(`${b.labels.job} ${b.labels.pod}`))
  );
}

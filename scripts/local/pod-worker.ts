import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreV1Api, KubeConfig, V1Container, V1Pod } from '@kubernetes/client-node';
import type { HostPorts } from './host-ports.ts';
import { withHostPorts, type PortPlan } from './host-ports.ts';
import { ContainerConfigError, expandReferences, resolveContainerEnv, type EnvSources } from './pod-env.ts';
import { apiMessage, podReady, reportedReady, reportPodStatus, type ContainerReport } from './pod-status.ts';
import { containerPortResolver, probeOnce, runProbes } from './probes.ts';
import type { PodRuntime, StartedContainer } from './runtime.ts';
import { projectServiceAccount, tokenVolume, type ServiceAccountFiles } from './service-account.ts';

/**
 * One scheduled pod, run as a kubelet runs it: its service account token projected, then each
 * container started with its resolved environment, command, args and ports, its probes run and
 * its readiness reported, restarted with a growing back-off when it exits or fails its liveness
 * probe (restartPolicy Always: boxoffice's pods are all Deployments), and stopped with the pod's
 * grace period (after its preStop hook) when the pod goes away. Init containers and postStart
 * hooks are not run.
 */
export interface PodWorkerDeps {
  core: CoreV1Api;
  kubeConfig: KubeConfig;
  runtime: PodRuntime;
  ports: HostPorts;
  sources: EnvSources;
  logDir: string;
  /** Per-pod files (service account tokens). */
  workDir: string;
  log(line: string, level: LogLevel): void;
}

/** debug: expected noise (a startup probe failing while the process starts); warn: something to look at. */
export type LogLevel = 'debug' | 'info' | 'warn';

/** A pod as this machine runs it: where its container ports listen, and whether it is ready. */
export interface LocalPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ready: boolean;
  ports: { container: string; name?: string; containerPort: number; hostPort: number }[];
}

const MAX_BACKOFF_MS = 30_000;
/** A container that ran this long before exiting starts again without waiting. */
const HEALTHY_RUN_MS = 60_000;

export class PodWorker {
  readonly key: string;
  private readonly containers: ContainerWorker[];
  private serviceAccount?: ServiceAccountFiles;
  private readonly stopping = new AbortController();
  private statusWrite = Promise.resolve();
  private started?: Promise<void>;

  private pod: V1Pod;
  private readonly deps: PodWorkerDeps;

  constructor(pod: V1Pod, deps: PodWorkerDeps) {
    this.pod = pod;
    this.deps = deps;
    this.key = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
    this.containers = pod.spec!.containers.map((container) => new ContainerWorker(this, container, deps));
  }

  get current(): V1Pod {
    return this.pod;
  }

  get stopped(): AbortSignal {
    return this.stopping.signal;
  }

  /** A newer version of the pod; a status that disagrees with what runs (KWOK's) is corrected. */
  update(pod: V1Pod): void {
    this.pod = pod;
    if (reportedReady(pod) !== podReady(this.containers.map((c) => c.report))) this.reportStatus();
  }

  log(line: string, level: LogLevel = 'info'): void {
    this.deps.log(`${this.key}: ${line}`, level);
  }

  start(): void {
    this.started = this.run();
  }

  private async run(): Promise<void> {
    if (this.pod.spec?.initContainers?.length)
      this.log('init containers are not run by the local runner; starting the containers');
    const volume = tokenVolume(this.pod);
    for (let attempt = 0; volume && !this.stopped.aborted; attempt++) {
      try {
        this.serviceAccount = await projectServiceAccount(
          this.deps.core,
          this.deps.kubeConfig,
          this.pod,
          volume,
          join(this.deps.workDir, `${this.pod.metadata!.namespace}_${this.pod.metadata!.name}`),
          (error) => this.log(`service account token refresh failed: ${apiMessage(error)}`, 'warn'),
        );
        break;
      } catch (error) {
        if (this.stopped.aborted) return;
        this.log(`service account token: ${apiMessage(error)}; retrying`, 'warn');
        if (!(await this.pause(Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt)))) return;
      }
    }
    this.reportStatus();
    if (this.stopped.aborted) return;
    for (const container of this.containers) container.start(this.serviceAccount);
  }

  /** Sleeps unless the pod is stopped meanwhile; false when it was. */
  pause(ms: number): Promise<boolean> {
    return sleep(ms, undefined, { signal: this.stopped }).then(
      () => true,
      () => false,
    );
  }

  /** Writes the containers' state to the pod's status, one write at a time, in order. */
  reportStatus(): void {
    if (this.stopped.aborted) return;
    const reports = this.containers.map((c) => c.report);
    this.statusWrite = this.statusWrite
      .then(() => reportPodStatus(this.deps.core, this.pod, reports))
      .catch((error: Error & { code?: number }) => {
        if (error.code !== 404) this.log(`could not report status: ${apiMessage(error)}`, 'warn');
      });
  }

  /** `hooks: false` when the whole runner stops (nothing routes to this machine any more). */
  async stop(hooks = true): Promise<void> {
    this.stopping.abort();
    const grace =
      this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    await this.started;
    await Promise.all(this.containers.map((container) => container.stop(grace, hooks)));
    this.serviceAccount?.stop();
    await this.statusWrite;
  }

  snapshot(): LocalPod {
    return {
      namespace: this.pod.metadata!.namespace!,
      name: this.pod.metadata!.name!,
      labels: this.pod.metadata?.labels ?? {},
      ready: this.containers.every((c) => c.report.ready),
      ports: this.containers.flatMap((c) => c.ports()),
    };
  }
}

class ContainerWorker {
  report: ContainerReport;
  private plan?: PortPlan;
  private running?: StartedContainer;
  private probes?: { stop(): void };
  private done?: Promise<void>;
  private graceSeconds = 0;

  private readonly pod: PodWorker;
  private readonly spec: V1Container;
  private readonly deps: PodWorkerDeps;

  constructor(pod: PodWorker, spec: V1Container, deps: PodWorkerDeps) {
    this.pod = pod;
    this.spec = spec;
    this.deps = deps;
    this.report = { name: spec.name, ready: false, started: false, restartCount: 0 };
  }

  ports(): LocalPod['ports'] {
    return (this.spec.ports ?? []).map((port) => ({
      container: this.spec.name,
      ...(port.name ? { name: port.name } : {}),
      containerPort: port.containerPort,
      hostPort: this.plan?.hostPorts.get(port.containerPort) ?? port.containerPort,
    }));
  }

  start(serviceAccount: ServiceAccountFiles | undefined): void {
    this.done = this.loop(serviceAccount);
  }

  private update(change: Partial<ContainerReport>): void {
    const next = { ...this.report, ...change };
    if (!('waiting' in change) && (change.started || change.ready)) delete next.waiting;
    const changed = JSON.stringify(next) !== JSON.stringify(this.report);
    this.report = next;
    if (changed) this.pod.reportStatus();
  }

  private async loop(serviceAccount: ServiceAccountFiles | undefined): Promise<void> {
    const pod = this.pod.current;
    const name = this.spec.name;
    let crashes = 0;
    while (!this.pod.stopped.aborted) {
      const startedAt = Date.now();
      let started: StartedContainer;
      try {
        this.plan ??= await this.deps.ports.plan(this.spec);
        const resolved = await resolveContainerEnv(this.pod.current, this.spec, this.deps.sources);
        const { env, moved } = withHostPorts(resolved, this.plan);
        for (const move of moved)
          this.pod.log(
            `${name}: port ${move.containerPort} is taken on this machine (shared host network), listening on ${move.hostPort}` +
              (move.variables.length
                ? ` (${move.variables.join(', ')})`
                : ' (no env var carries it: the process will not know)'),
          );
        const expand = (list: string[] | undefined) => list?.map((part) => expandReferences(part, env));
        started = await this.deps.runtime.start({
          pod,
          container: this.spec,
          name: containerName(pod, name),
          env,
          ...(this.spec.command ? { command: expand(this.spec.command)! } : {}),
          ...(this.spec.args ? { args: expand(this.spec.args)! } : {}),
          ...(serviceAccount ? { serviceAccount } : {}),
          logFile: join(this.deps.logDir, `${pod.metadata!.namespace}_${pod.metadata!.name}_${name}.log`),
        });
      } catch (error) {
        const reason =
          error instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
        const message = apiMessage(error);
        this.pod.log(`${name}: cannot start: ${message}`, 'warn');
        this.update({ ready: false, started: false, waiting: { reason, message } });
        if (!(await this.pod.pause(Math.min(MAX_BACKOFF_MS, 2000 * 2 ** crashes++)))) return;
        continue;
      }
      if (this.pod.stopped.aborted) {
        await started.stop(this.graceSeconds);
        return;
      }
      this.running = started;
      this.pod.log(`${name}: started (${this.deps.runtime.kind}, ${started.description})`);
      this.update({ started: true, ready: false, startedAt: new Date() });
      const unrun = [this.spec.startupProbe, this.spec.readinessProbe, this.spec.livenessProbe].filter(
        (probe) => probe?.exec || probe?.grpc,
      );
      if (unrun.length) this.pod.log(`${name}: exec and grpc probes are not run locally; they pass`, 'warn');
      let everReady = false;
      this.probes = runProbes(this.spec, containerPortResolver(this.spec, this.plan!.hostPorts), {
        readiness: (ready) => {
          everReady ||= ready;
          this.pod.log(`${name}: ${ready ? 'ready' : 'not ready'}`, ready ? 'info' : 'warn');
          this.update({ ready });
        },
        unhealthy: (reason) => {
          this.pod.log(`${name}: ${reason}; restarting`, 'warn');
          void started.stop(this.pod.current.spec?.terminationGracePeriodSeconds ?? 30);
        },
        failed: (kind, reason) =>
          this.pod.log(`${name}: ${kind} probe failed: ${reason}`, kind === 'startup' ? 'debug' : 'warn'),
      });
      const exit = await started.exited;
      this.probes.stop();
      this.running = undefined;
      if (this.pod.stopped.aborted) return;
      // A process that never got ready may have lost its port to another one on this machine
      // between the plan and its bind: the next start plans again.
      if (!everReady && this.plan) {
        this.deps.ports.release(this.plan);
        this.plan = undefined;
      }
      crashes = Date.now() - startedAt > HEALTHY_RUN_MS ? 0 : crashes + 1;
      const delay = crashes === 0 ? 0 : Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (crashes - 1));
      this.pod.log(`${name}: exited (${exit.signal ?? exit.code}); restarting in ${delay / 1000} s`, 'warn');
      this.update({
        ready: false,
        started: false,
        restartCount: this.report.restartCount + 1,
        waiting: { reason: 'CrashLoopBackOff', message: `exited with ${exit.signal ?? exit.code}` },
      });
      if (!(await this.pod.pause(delay))) return;
    }
  }

  /**
   * Called once the pod's stop signal is set: runs the preStop hook (the chart's sleep lets
   * clients stop sending to a pod that left its Service), then stops the process within what is
   * left of the grace period, and waits for the loop to end.
   */
  async stop(graceSeconds: number, hooks: boolean): Promise<void> {
    this.graceSeconds = graceSeconds;
    this.probes?.stop();
    const running = this.running;
    if (running) {
      const left = hooks ? await this.preStop(graceSeconds) : graceSeconds;
      await running.stop(Math.ceil(left));
      this.pod.log(`${this.spec.name}: stopped`);
    }
    await this.done;
    if (this.plan) this.deps.ports.release(this.plan);
  }

  /** The container's preStop hook, as the kubelet runs it: before SIGTERM, within the grace period. */
  private async preStop(graceSeconds: number): Promise<number> {
    const hook = this.spec.lifecycle?.preStop;
    const started = Date.now();
    if (hook?.sleep) await sleep(Math.min(hook.sleep.seconds, graceSeconds) * 1000);
    else if (hook?.httpGet) {
      const resolve = containerPortResolver(this.spec, this.plan?.hostPorts ?? new Map());
      const result = await probeOnce({ httpGet: hook.httpGet, timeoutSeconds: graceSeconds }, resolve);
      if (!result.ok) this.pod.log(`${this.spec.name}: preStop hook failed: ${result.reason}`, 'warn');
    } else if (hook?.exec) this.pod.log(`${this.spec.name}: preStop exec hooks are not run locally`, 'warn');
    return Math.max(0, graceSeconds - (Date.now() - started) / 1000);
  }
}

/** Unique on this machine, and readable in `podman ps`: k8s_<container>_<pod>_<namespace>_<uid>. */
function containerName(pod: V1Pod, container: string): string {
  return `k8s_${container}_${pod.metadata!.name}_${pod.metadata!.namespace}_${pod.metadata!.uid!.slice(0, 8)}`;
}

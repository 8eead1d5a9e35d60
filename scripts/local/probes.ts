import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Container, V1Probe } from '@kubernetes/client-node';

/**
 * A container's probes run as the kubelet runs them: the startup probe first (liveness and
 * readiness wait for it), then readiness and liveness, each on its own period with the pod spec's
 * thresholds and timeouts (the kubelet's defaults where the spec says nothing). The probes reach
 * the container on this machine's loopback, on the host port its container port listens on.
 */
export type ProbeResult = { ok: true } | { ok: false; reason: string };

export interface ProbeCallbacks {
  /** Readiness changed (a container without a readiness probe is ready once started). */
  readiness(ready: boolean): void;
  /** The startup or liveness probe failed past its threshold: restart the container. */
  unhealthy(reason: string): void;
  /** Every failed probe, for the pod's log (the kubelet records them as Events). */
  failed(kind: 'startup' | 'readiness' | 'liveness', reason: string): void;
}

const defaults = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 };

/** Resolves a probe's port (a number, or the name of a container port) to the host port. */
export type PortResolver = (port: number | string) => number | undefined;

export function containerPortResolver(container: V1Container, hostPorts: Map<number, number>): PortResolver {
  return (port) => {
    const containerPort =
      typeof port === 'number' || /^\d+$/.test(port)
        ? Number(port)
        : container.ports?.find((p) => p.name === port)?.containerPort;
    return containerPort === undefined ? undefined : (hostPorts.get(containerPort) ?? containerPort);
  };
}

export async function probeOnce(probe: V1Probe, resolve: PortResolver): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? defaults.timeoutSeconds) * 1000;
  if (probe.httpGet) {
    const port = resolve(probe.httpGet.port as number | string);
    if (port === undefined) return { ok: false, reason: `no container port named ${probe.httpGet.port}` };
    const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase();
    const url = `${scheme}://127.0.0.1:${port}${probe.httpGet.path ?? '/'}`;
    const headers = Object.fromEntries((probe.httpGet.httpHeaders ?? []).map((h) => [h.name, h.value]));
    try {
      const response = await fetch(url, {
        headers,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'manual',
      });
      await response.body?.cancel();
      // The kubelet's rule: 200 ≤ status < 400 succeeds.
      return response.status >= 200 && response.status < 400
        ? { ok: true }
        : { ok: false, reason: `GET ${url}: HTTP ${response.status}` };
    } catch (error) {
      return { ok: false, reason: `GET ${url}: ${(error as Error).message}` };
    }
  }
  if (probe.tcpSocket) {
    const port = resolve(probe.tcpSocket.port as number | string);
    if (port === undefined) return { ok: false, reason: `no container port named ${probe.tcpSocket.port}` };
    return new Promise((done) => {
      const socket = connect({ port, host: '127.0.0.1', timeout: timeoutMs });
      const finish = (result: ProbeResult): void => {
        socket.destroy();
        done(result);
      };
      socket.once('connect', () => finish({ ok: true }));
      socket.once('timeout', () => finish({ ok: false, reason: `tcp ${port}: timeout` }));
      socket.once('error', (error) => finish({ ok: false, reason: `tcp ${port}: ${error.message}` }));
    });
  }
  // exec and grpc probes would need to run inside the container; the chart uses none.
  return { ok: true };
}

/** Runs the container's probes until `stop()`; reports through the callbacks. */
export function runProbes(
  container: V1Container,
  resolve: PortResolver,
  callbacks: ProbeCallbacks,
): { stop(): void } {
  const stopped = new AbortController();
  const wait = (seconds: number) =>
    sleep(seconds * 1000, undefined, { signal: stopped.signal }).then(
      () => true,
      () => false,
    );

  /** Probes on; `threshold` consecutive results unlike the current state flip it (and report). */
  async function loop(
    kind: 'readiness' | 'liveness',
    probe: V1Probe,
    onChange: (ok: boolean, reason: string) => boolean | void,
    initiallyOk: boolean,
    skipDelay = false,
  ): Promise<void> {
    const period = probe.periodSeconds ?? defaults.periodSeconds;
    const failureThreshold = probe.failureThreshold ?? defaults.failureThreshold;
    const successThreshold = probe.successThreshold ?? 1;
    let state = initiallyOk;
    let streak = 0;
    if (!skipDelay && !(await wait(probe.initialDelaySeconds ?? defaults.initialDelaySeconds))) return;
    while (!stopped.signal.aborted) {
      const result = await probeOnce(probe, resolve);
      if (stopped.signal.aborted) return;
      if (!result.ok) callbacks.failed(kind, result.reason);
      streak = result.ok === state ? 0 : streak + 1;
      const threshold = result.ok ? successThreshold : failureThreshold;
      if (result.ok !== state && streak >= threshold) {
        state = result.ok;
        streak = 0;
        if (onChange(state, result.ok ? '' : result.reason) === false) return;
      }
      if (!(await wait(period))) return;
    }
  }

  const afterStartup = (): void => {
    if (container.readinessProbe)
      // Right after startup, not a period later: a local platform should be usable as soon as it is.
      void loop('readiness', container.readinessProbe, (ok) => callbacks.readiness(ok), false, true);
    else callbacks.readiness(true);
    if (container.livenessProbe)
      void loop(
        'liveness',
        container.livenessProbe,
        (ok, reason) => {
          if (!ok) callbacks.unhealthy(`liveness probe failed: ${reason}`);
          return ok;
        },
        true,
      );
  };

  async function startup(probe: V1Probe): Promise<void> {
    const failureThreshold = probe.failureThreshold ?? defaults.failureThreshold;
    if (!(await wait(probe.initialDelaySeconds ?? defaults.initialDelaySeconds))) return;
    for (let failures = 0; !stopped.signal.aborted;) {
      const result = await probeOnce(probe, resolve);
      if (stopped.signal.aborted) return;
      if (result.ok) return afterStartup();
      callbacks.failed('startup', result.reason);
      if (++failures >= failureThreshold)
        return callbacks.unhealthy(`startup probe failed: ${result.reason}`);
      if (!(await wait(probe.periodSeconds ?? defaults.periodSeconds))) return;
    }
  }

  if (container.startupProbe) void startup(container.startupProbe);
  else afterStartup();

  return { stop: () => stopped.abort() };
}

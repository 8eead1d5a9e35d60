import type { Kafka } from 'kafkajs';
import { Gauge, type Registry } from 'prom-client';

export type Dependency = 'postgresql' | 'redis' | 'kafka';

/** One cheap round trip to a dependency: `SELECT 1`, `PING`, a metadata request. */
export type Probe = (() => Promise<unknown>) & { close?: () => Promise<void> };

/**
 * Kafka on a probe's own admin client, connected on first use (a process must not fail to start
 * because a probe could not connect) and reconnected by kafkajs after an outage.
 */
export function kafkaProbe(kafka: Kafka): Probe {
  const admin = kafka.admin();
  const probe: Probe = async () => {
    await admin.connect();
    await admin.describeCluster();
  };
  probe.close = () => admin.disconnect();
  return probe;
}

export interface DependencyProbes {
  /** Probes every dependency once (the timer does this on its own; tests await it). */
  probe(): Promise<void>;
  /** Stops probing and closes what the probes opened (so the process can exit). */
  stop(): Promise<void>;
}

/**
 * `boxoffice_dependency_up{dependency}`: whether this process reached PostgreSQL, Redis or Kafka on
 * its last probe. Probed on a timer, not on scrape, so a scrape never waits on a dead server; a probe
 * that takes longer than `timeoutMs` counts as down, and while it hangs no second one is started
 * (a dead broker does not pile up requests).
 */
export function probeDependencies(
  registry: Registry,
  probes: Partial<Record<Dependency, Probe>>,
  options: { intervalMs?: number; timeoutMs?: number } = {},
): DependencyProbes {
  const { intervalMs = 5_000, timeoutMs = 2_000 } = options;
  const up = new Gauge({
    name: 'boxoffice_dependency_up',
    help: '1 when the last probe of the dependency (PostgreSQL SELECT 1, Redis PING, Kafka metadata) answered within its timeout, else 0',
    labelNames: ['dependency'] as const,
    registers: [registry],
  });
  const hanging = new Set<Dependency>();
  const measuring = new Map<Dependency, Promise<void>>();

  const measure = async (dependency: Dependency, probe: Probe): Promise<void> => {
    // Still down: the last probe has not even failed yet.
    if (hanging.has(dependency)) return void up.set({ dependency }, 0);
    hanging.add(dependency);
    const attempt = Promise.resolve()
      .then(probe)
      .finally(() => hanging.delete(dependency));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('probe timed out')), timeoutMs);
    });
    const ok = await Promise.race([attempt, timedOut]).then(
      () => true,
      () => false,
    );
    clearTimeout(timer);
    up.set({ dependency }, ok ? 1 : 0);
  };

  /** A probe asked for while one is being measured waits for that one. */
  const probeOne = (dependency: Dependency, probe: Probe): Promise<void> => {
    const current = measuring.get(dependency);
    if (current) return current;
    const measurement = measure(dependency, probe).finally(() => measuring.delete(dependency));
    measuring.set(dependency, measurement);
    return measurement;
  };

  const probe = async (): Promise<void> => {
    await Promise.all(
      Object.entries(probes).map(([dependency, check]) => probeOne(dependency as Dependency, check!)),
    );
  };
  void probe();
  const timer = setInterval(() => void probe(), intervalMs);
  timer.unref();
  return {
    probe,
    async stop() {
      clearInterval(timer);
      await Promise.all(Object.values(probes).map((p) => p?.close?.().catch(() => undefined)));
    },
  };
}

/**
 * The probes of every boxoffice process (platform/src/http/health.ts and ops-server.ts): /healthz
 * says the process is alive, /readyz that its dependencies answer. The startup probe gives a
 * process up to two minutes (migrations, Kafka group join) before liveness applies.
 */
export const PROBES = {
  startup: { path: '/healthz', periodSeconds: 2, failureThreshold: 60 },
  liveness: { path: '/healthz', periodSeconds: 10, failureThreshold: 3 },
  readiness: { path: '/readyz', periodSeconds: 5, failureThreshold: 2 },
} as const;

export interface HttpProbe {
  httpGet: { path: string; port: string | number };
  periodSeconds: number;
  failureThreshold: number;
}

/** The three probes as a container spec has them, on a port given by name or number. */
export function containerProbes(port: string | number): {
  startupProbe: HttpProbe;
  livenessProbe: HttpProbe;
  readinessProbe: HttpProbe;
} {
  const probe = ({ path, periodSeconds, failureThreshold }: (typeof PROBES)[keyof typeof PROBES]) => ({
    httpGet: { path, port },
    periodSeconds,
    failureThreshold,
  });
  return {
    startupProbe: probe(PROBES.startup),
    livenessProbe: probe(PROBES.liveness),
    readinessProbe: probe(PROBES.readiness),
  };
}

import { createServer } from 'node:net';
import type { V1Container } from '@kubernetes/client-node';
import { freePort } from '../deps/processes.ts';

/**
 * Where a container's ports listen on this machine. In a cluster every pod has its own network
 * namespace, so two replicas (or two events' allocators) both listen on 8082. Here every local
 * "pod" shares the host network: a container port that another pod holds, or anything else on the
 * machine uses, is moved to a free port. The process learns its port from its environment (the
 * chart and the operator pass each service its port as an env var), so the variables whose value is
 * exactly that port number are rewritten; probes and Services are resolved through the same map.
 */
export interface PortPlan {
  /** containerPort → the host port it listens on (the same for every restart of the container). */
  hostPorts: Map<number, number>;
}

/** The container's env for its plan: each variable whose value is a moved port names its host port. */
export function withHostPorts(
  env: Record<string, string>,
  plan: PortPlan,
): {
  env: Record<string, string>;
  moved: { containerPort: number; hostPort: number; variables: string[] }[];
} {
  const rewritten = { ...env };
  const moved = [];
  for (const [containerPort, hostPort] of plan.hostPorts) {
    if (containerPort === hostPort) continue;
    const variables = Object.keys(env).filter((name) => env[name] === String(containerPort));
    for (const name of variables) rewritten[name] = String(hostPort);
    moved.push({ containerPort, hostPort, variables });
  }
  return { env: rewritten, moved };
}

/** Whether something may listen on `port` of every address (what the services bind: 0.0.0.0). */
export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export class HostPorts {
  private readonly held = new Set<number>();

  private readonly available: (port: number) => Promise<boolean>;
  private readonly pickFree: () => Promise<number>;

  constructor(
    available: (port: number) => Promise<boolean> = canListen,
    pickFree: () => Promise<number> = freePort,
  ) {
    this.available = available;
    this.pickFree = pickFree;
  }

  /** Reserves a host port for each declared container port (give them back with `release`). */
  async plan(container: V1Container): Promise<PortPlan> {
    const plan: PortPlan = { hostPorts: new Map() };
    for (const { containerPort } of container.ports ?? []) {
      if (plan.hostPorts.has(containerPort)) continue;
      let hostPort = containerPort;
      if (this.held.has(hostPort) || !(await this.available(hostPort))) {
        do hostPort = await this.pickFree();
        while (this.held.has(hostPort));
      }
      this.held.add(hostPort);
      plan.hostPorts.set(containerPort, hostPort);
    }
    return plan;
  }

  release(plan: PortPlan): void {
    for (const port of plan.hostPorts.values()) this.held.delete(port);
  }
}

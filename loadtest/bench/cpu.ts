import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { depsStateDir } from '../../scripts/deps/paths.ts';

/** CPU time (user + system, clock ticks) of every process, and the machine's busy/total ticks. */
export interface CpuSnapshot {
  processes: Map<number, { comm: string; cmdline: string; ticks: number; ppid: number }>;
  machine: { busy: number; total: number };
}

export function cpuSnapshot(): CpuSnapshot {
  const processes: CpuSnapshot['processes'] = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      processes.set(Number(entry), {
        comm,
        cmdline,
        ticks: Number(fields[11]) + Number(fields[12]),
        ppid: Number(fields[1]),
      });
    } catch {
      // The process exited while we read it.
    }
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const idle = cpu[3]! + cpu[4]!; // idle + iowait
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return { processes, machine: { busy: total - idle, total } };
}

/**
 * The servers this checkout started (`npm run deps`), by the PID files in its state directory: on
 * a machine several checkouts share, another's PostgreSQL or Kafka is not this bench's.
 */
export function ownServers(): Map<number, string> {
  const servers = new Map<number, string>();
  for (const [part, file, group] of [
    ['postgres', 'postgres.pid', 'postgres'],
    ['redis', 'redis-server.pid', 'redis'],
    ['kafka', 'kafka.pid', 'kafka'],
    ['jaeger', 'jaeger.pid', 'jaeger'],
  ] as const) {
    try {
      servers.set(Number(readFileSync(join(depsStateDir, part, file), 'utf8').trim()), group);
    } catch {
      // Not started by this checkout (an external server): its CPU is not measured.
    }
  }
  return servers;
}

/**
 * CPU seconds spent between two snapshots, grouped: the processes named in `named` (by PID), the
 * shared servers of this checkout (`servers`, with their child processes: PostgreSQL's backends),
 * the load generator (k6), and everything else ("other", which shows whether something outside
 * the benchmark competed for the cores).
 */
export function cpuSeconds(
  before: CpuSnapshot,
  after: CpuSnapshot,
  named: Map<number, string>,
  servers: Map<number, string> = ownServers(),
): { groups: Record<string, number>; machineBusyShare: number; others: string[] } {
  const groups: Record<string, number> = {};
  const others: string[] = [];
  const serverOf = (pid: number): string | undefined => {
    for (let p = pid, depth = 0; p > 1 && depth < 4; depth++) {
      const group = servers.get(p);
      if (group) return group;
      p = after.processes.get(p)?.ppid ?? before.processes.get(p)?.ppid ?? 0;
    }
    return undefined;
  };
  for (const [pid, now] of after.processes) {
    const then = before.processes.get(pid);
    const ticks = then && then.comm === now.comm ? now.ticks - then.ticks : now.ticks;
    if (ticks <= 0) continue;
    const group = named.get(pid) ?? serverOf(pid) ?? groupOf(now.comm);
    groups[group] = (groups[group] ?? 0) + ticks / 100;
    if (group === 'other' && ticks >= 20)
      others.push(`${pid} ${now.cmdline.slice(0, 120)}: ${ticks / 100} s`);
  }
  const busy = after.machine.busy - before.machine.busy;
  const total = after.machine.total - before.machine.total;
  return { groups, machineBusyShare: total > 0 ? busy / total : 0, others };
}

/** k6 is the bench's own (one runs at a time); other checkouts' servers count as "other". */
function groupOf(comm: string): string {
  return comm === 'k6' ? 'k6' : 'other';
}

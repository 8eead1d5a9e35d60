import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (user + system, clock ticks) of every process, and the machine's busy/total ticks. */
export interface CpuSnapshot {
  processes: Map<number, { comm: string; cmdline: string; ticks: number }>;
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
      processes.set(Number(entry), { comm, cmdline, ticks: Number(fields[11]) + Number(fields[12]) });
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
 * CPU seconds spent between two snapshots, grouped: the processes named in `named` (by PID), the
 * shared servers (postgres, redis, kafka), the load generator (k6), and everything else ("other",
 * which shows whether something outside the benchmark competed for the cores).
 */
export function cpuSeconds(
  before: CpuSnapshot,
  after: CpuSnapshot,
  named: Map<number, string>,
): { groups: Record<string, number>; machineBusyShare: number; others: string[] } {
  const groups: Record<string, number> = {};
  const others: string[] = [];
  for (const [pid, now] of after.processes) {
    const then = before.processes.get(pid);
    const ticks = then && then.comm === now.comm ? now.ticks - then.ticks : now.ticks;
    if (ticks <= 0) continue;
    const group = named.get(pid) ?? groupOf(now.comm, now.cmdline);
    groups[group] = (groups[group] ?? 0) + ticks / 100;
    if (group === 'other' && ticks >= 20)
      others.push(`${pid} ${now.cmdline.slice(0, 120)}: ${ticks / 100} s`);
  }
  const busy = after.machine.busy - before.machine.busy;
  const total = after.machine.total - before.machine.total;
  return { groups, machineBusyShare: total > 0 ? busy / total : 0, others };
}

function groupOf(comm: string, cmdline: string): string {
  if (comm === 'postgres') return 'postgres';
  if (comm === 'redis-server') return 'redis';
  if (comm === 'java' && cmdline.includes('kafka.Kafka')) return 'kafka';
  if (comm === 'k6') return 'k6';
  return 'other';
}

// CPU time per process group while a benchmark phase runs, read from /proc (Linux): where the
// time goes on a machine that the whole stack, the load and the consumers share. Elsewhere
// (no /proc) it measures nothing and says so.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** Named process groups: a pid, or a pid and all its children (PostgreSQL's backends). */
export interface CpuGroups {
  [name: string]: { pid: number; children?: boolean } | undefined;
}

const ticksPerSecond = 100; // USER_HZ: 100 on every Linux architecture Node supports

/** utime + stime of a process, in ms, and its parent pid; undefined once it exited. */
function processCpu(pid: string): { ms: number; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ms: ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerSecond, ppid: Number(f[1]) };
  } catch {
    return undefined;
  }
}

/** Busy time of the whole machine (all cores), in ms. */
function machineBusy(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = cpu[0]! + cpu[1]! + cpu[2]! + cpu[5]! + cpu[6]! + cpu[7]!;
  return (busy * 1000) / ticksPerSecond;
}

/**
 * Starts measuring; `stop()` returns one line: each group's CPU as % of one core over the
 * phase, then everything else the machine did ("others": other programs, the kernel), and
 * the machine's total against its capacity. Sampled every 200 ms, so that short-lived
 * processes (a backend per connection) count up to their last sample.
 */
export function startCpuUsage(groups: () => CpuGroups): { stop(): string } {
  if (!existsSync('/proc/stat')) return { stop: () => 'cpu: not measured (no /proc)' };
  const first = new Map<string, number>();
  const last = new Map<string, { ms: number; group: string | undefined }>();
  const started = performance.now();
  const busy0 = machineBusy();
  const groupOf = (pid: number, ppid: number, g: CpuGroups) => {
    for (const [name, p] of Object.entries(g)) {
      if (p && (p.pid === pid || (p.children && p.pid === ppid))) return name;
    }
    return undefined;
  };
  const sample = (initial: boolean) => {
    const g = groups();
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const cpu = processCpu(pid);
      if (!cpu) continue;
      if (initial) first.set(pid, cpu.ms);
      last.set(pid, { ms: cpu.ms, group: groupOf(Number(pid), cpu.ppid, g) });
    }
  };
  sample(true);
  const timer = setInterval(() => sample(false), 200);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample(false);
      const wallMs = performance.now() - started;
      const busy = machineBusy() - busy0;
      // Groups without a process here (an external component) are left out, not shown as 0%.
      const present = Object.entries(groups()).filter(([, p]) => p !== undefined);
      const byGroup = new Map<string, number>(present.map(([name]) => [name, 0]));
      let ours = 0;
      for (const [pid, { ms, group }] of last) {
        if (group === undefined) continue;
        const used = ms - (first.get(pid) ?? 0);
        byGroup.set(group, (byGroup.get(group) ?? 0) + used);
        ours += used;
      }
      const pct = (ms: number) => `${((100 * ms) / wallMs).toFixed(0)}%`;
      const parts = [...byGroup].map(([name, ms]) => `${name} ${pct(ms)}`);
      const cores = os.availableParallelism();
      return (
        `cpu (% of one core): ${parts.join(', ')}, others ${pct(Math.max(0, busy - ours))}` +
        ` | machine ${pct(busy)} of ${cores * 100}%`
      );
    },
  };
}

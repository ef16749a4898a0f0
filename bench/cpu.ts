// CPU time per component of a benchmark run, from /proc (Linux): what each process tree
// (a stack component, a group process, the load generator) spent, in core-seconds.
import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSecond = 100; // USER_HZ on Linux

/**
 * utime + stime of one process (all its threads), plus with `reaped` that of its children
 * that exited and were waited for (cutime + cstime: PostgreSQL's closed backends), in
 * seconds; 0 when it is gone.
 */
function processSeconds(pid: number, reaped: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    return (reaped ? own + Number(fields[13]) + Number(fields[14]) : own) / ticksPerSecond;
  } catch {
    return 0;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** `pid` and every live descendant (PostgreSQL's backends, a JVM's helpers). */
function tree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const p = Number(entry);
    if (!Number.isInteger(p)) continue;
    const parent = parentOf(p);
    if (parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/**
 * A component whose CPU is measured: a name and the root pids of its process trees (the
 * three KRaft nodes of a cluster count as one Kafka). With `tree`, their live descendants and
 * the children they reaped count too (PostgreSQL's backends); without, only the processes
 * themselves (a parent of processes measured on their own).
 */
export interface CpuTarget {
  name: string;
  pids: readonly number[];
  tree?: boolean;
}

/** CPU seconds so far of each target's process tree. */
export function cpuSnapshot(targets: readonly CpuTarget[]): Map<string, number> {
  const seconds = (t: CpuTarget) =>
    t.pids.reduce(
      (sum, pid) =>
        sum +
        (t.tree ? tree(pid).reduce((s, p) => s + processSeconds(p, true), 0) : processSeconds(pid, false)),
      0,
    );
  return new Map(targets.map((t) => [t.name, seconds(t)]));
}

/** Core-seconds each target spent between two snapshots (in the order of `after`), and their sum. */
export function cpuUsed(
  before: Map<string, number>,
  after: Map<string, number>,
): { rows: { name: string; used: number }[]; total: number } {
  const rows = [...after].map(([name, end]) => ({ name, used: Math.max(0, end - (before.get(name) ?? 0)) }));
  return { rows, total: rows.reduce((s, r) => s + r.used, 0) };
}

/**
 * The CPU table of a phase: core-seconds each target spent ({@link cpuUsed}), per 1,000
 * events, and as a share of the phase's wall time (1.0 = one core busy the whole time).
 */
export function cpuTable(
  { rows, total }: ReturnType<typeof cpuUsed>,
  events: number,
  wallSeconds: number,
): string {
  const line = (name: string, used: number) =>
    `    ${name.padEnd(22)} ${((used / events) * 1000).toFixed(3).padStart(7)} core-s/1k events   ${(used / wallSeconds).toFixed(2).padStart(5)} cores`;
  return [
    `    ${'component'.padEnd(22)} ${'CPU'.padStart(7)}                     busy`,
    ...rows.map((r) => line(r.name, r.used)),
    line('total', total),
  ].join('\n');
}

import { readdirSync, readFileSync } from 'node:fs';

/** One memory sample of a process (or a process tree). */
export interface Sample {
  /** ms epoch. */
  t: number;
  mb: number;
}

/** A process to sample: its pid now (it may change when a supervisor restarts it). */
export interface Target {
  name: string;
  pid: number | undefined;
  /**
   * Sum the proportional set size (PSS) of the process and all its descendants: PostgreSQL's
   * backends share its buffers, which RSS would count once per backend.
   */
  tree?: boolean;
}

/** Least-squares slope of the samples, in MB per hour (0 with fewer than two samples). */
export function slopeMbPerHour(samples: readonly Sample[]): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const t0 = samples[0]!.t;
  const xs = samples.map((s) => (s.t - t0) / 3_600_000);
  const mx = xs.reduce((a, x) => a + x, 0) / n;
  const my = samples.reduce((a, s) => a + s.mb, 0) / n;
  let num = 0;
  let den = 0;
  samples.forEach((s, i) => {
    num += (xs[i]! - mx) * (s.mb - my);
    den += (xs[i]! - mx) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

function statusField(pid: number, field: string): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return Number(m?.[1] ?? 0) / 1024;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

function pssTree(pid: number): number {
  let mb = 0;
  for (const p of [pid, ...childrenOf(pid)]) {
    try {
      const m = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m);
      mb += Number(m?.[1] ?? 0) / 1024;
    } catch {
      // a backend that ended between the listing and the read
    }
  }
  return mb;
}

function openFiles(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** What {@link createSampler} reports per process. */
export interface SeriesSummary {
  name: string;
  startMb: number;
  endMb: number;
  maxMb: number;
  /** Over the samples after the warm-up. */
  slopeMbPerHour: number;
  /** Times the pid changed (the process was restarted). */
  restarts: number;
  maxOpenFiles: number;
  samples: number;
}

/**
 * Samples the memory of named processes: RSS (VmRSS) of each, or the PSS of a whole tree,
 * plus its open files (each process may hold 20,000 here).
 */
export function createSampler(targets: () => readonly Target[]) {
  const series = new Map<string, { samples: Sample[]; pid?: number; restarts: number; maxFds: number }>();
  return {
    sample(): void {
      const t = Date.now();
      for (const target of targets()) {
        if (target.pid === undefined) continue;
        let s = series.get(target.name);
        if (!s) {
          s = { samples: [], restarts: 0, maxFds: 0 };
          series.set(target.name, s);
        }
        try {
          const mb = target.tree ? pssTree(target.pid) : statusField(target.pid, 'VmRSS');
          if (s.pid !== undefined && s.pid !== target.pid) s.restarts++;
          s.pid = target.pid;
          s.samples.push({ t, mb });
          s.maxFds = Math.max(s.maxFds, openFiles(target.pid));
        } catch {
          // the process is gone right now (being restarted): no sample
        }
      }
    },
    /** Per process: start, end, max and the slope after `warmupMs` from the first sample. */
    summary(warmupMs: number): SeriesSummary[] {
      return [...series.entries()].map(([name, s]) => {
        const first = s.samples[0]?.t ?? 0;
        const steady = s.samples.filter((x) => x.t - first >= warmupMs);
        return {
          name,
          startMb: s.samples[0]?.mb ?? 0,
          endMb: s.samples.at(-1)?.mb ?? 0,
          maxMb: Math.max(0, ...s.samples.map((x) => x.mb)),
          slopeMbPerHour: slopeMbPerHour(steady.length >= 2 ? steady : s.samples),
          restarts: s.restarts,
          maxOpenFiles: s.maxFds,
          samples: s.samples.length,
        };
      });
    },
  };
}

/** The summary as a table. */
export function rssTable(rows: readonly SeriesSummary[]): string {
  const head = ['process', 'start MB', 'end MB', 'max MB', 'slope MB/h', 'restarts', 'max open files'];
  const cells = rows.map((r) => [
    r.name,
    r.startMb.toFixed(0),
    r.endMb.toFixed(0),
    r.maxMb.toFixed(0),
    `${r.slopeMbPerHour >= 0 ? '+' : ''}${r.slopeMbPerHour.toFixed(1)}`,
    String(r.restarts),
    String(r.maxOpenFiles),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    `| ${c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

import { parsePromText } from './prom-text.ts';
import { type GroupSnapshot, groupsIn, type SeriesPoint, seriesOfMembers, snapshotOf } from './series.ts';

/** A process whose `/health` (and, for groups, `/metrics`) the console reads. */
export interface ScrapeTarget {
  /** What it is (`notifications`, `notifications-2` for a group's second member, `realtime`…). */
  name: string;
  /** Its base URL (`http://127.0.0.1:18101`). */
  url: string;
  /** Whether it serves consumer metrics at `/metrics` (the gateway serves only `/health`). */
  metrics: boolean;
}

/** A target's health as last read. */
export interface TargetHealth {
  name: string;
  url: string;
  /** The `status` its `/health` answered (`ok`, `degraded`, `unhealthy`…), or `down` when it did not answer. */
  status: string;
  /** Why it is `down`. */
  error?: string;
  /** When it was read (ms since epoch). */
  at: number;
}

/** Options of {@link createScraper}. */
export interface ScraperOptions {
  targets: readonly ScrapeTarget[];
  /** How often every target is read (default 5 s). */
  intervalMs?: number;
  /** How much history is kept (default 15 min). */
  windowMs?: number;
  /** Per request (default 2 s). */
  timeoutMs?: number;
  now?: () => number;
}

/**
 * Reads every target's `/health` and `/metrics` on an interval and keeps, per consumer group
 * (the metrics' `group` label) and per process, the snapshots of the last `windowMs`: the
 * plots' source, summed over a group's members. A target that does not answer is shown
 * `down`; its history stays until it ages out.
 */
export function createScraper(o: ScraperOptions) {
  const intervalMs = o.intervalMs ?? 5_000;
  const windowMs = o.windowMs ?? 15 * 60_000;
  const timeoutMs = o.timeoutMs ?? 2_000;
  const now = o.now ?? Date.now;
  /** group → target → snapshots, oldest first. */
  const history = new Map<string, Map<string, GroupSnapshot[]>>();
  const health = new Map<string, TargetHealth>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  // Every target of one round is stamped with the round's time: members' intervals line up.
  async function scrapeTarget(t: ScrapeTarget, at: number): Promise<void> {
    try {
      const res = await fetch(`${t.url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
      const body = (await res.json().catch(() => ({}))) as { status?: unknown; state?: unknown };
      const status = typeof body.status === 'string' ? body.status : res.ok ? 'ok' : `HTTP ${res.status}`;
      health.set(t.name, { name: t.name, url: t.url, status, at });
    } catch (e) {
      health.set(t.name, { name: t.name, url: t.url, status: 'down', error: errorText(e), at });
      return;
    }
    if (!t.metrics) return;
    try {
      const res = await fetch(`${t.url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) return;
      const { samples } = parsePromText(await res.text());
      for (const group of groupsIn(samples)) {
        let byTarget = history.get(group);
        if (!byTarget) {
          byTarget = new Map();
          history.set(group, byTarget);
        }
        const list = byTarget.get(t.name) ?? [];
        list.push(snapshotOf(samples, group, at));
        while (list.length > 0 && list[0]!.at < at - windowMs) list.shift();
        byTarget.set(t.name, list);
      }
    } catch {
      // Health said it answers: a metrics read that fails once leaves a gap in the plot.
    }
  }

  async function scrapeOnce(): Promise<void> {
    const at = now();
    running ??= Promise.all(o.targets.map((t) => scrapeTarget(t, at)))
      .then(() => undefined)
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  return {
    /** Reads every target now (also what the interval does). */
    scrapeOnce,
    /** Starts reading on the interval (a first read at once). */
    start(): void {
      if (timer) return;
      void scrapeOnce();
      timer = setInterval(() => void scrapeOnce(), intervalMs);
      timer.unref();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    /** Each target's health as last read. */
    health(): TargetHealth[] {
      return o.targets.map(
        (t) => health.get(t.name) ?? { name: t.name, url: t.url, status: 'not read yet', at: 0 },
      );
    },
    /** Each group's plot points over the window, summed over its members. */
    series(): Record<string, SeriesPoint[]> {
      const cutoff = now() - windowMs;
      return Object.fromEntries(
        [...history].map(([group, byTarget]) => [
          group,
          seriesOfMembers([...byTarget.values()].map((list) => list.filter((s) => s.at >= cutoff))),
        ]),
      );
    },
    intervalMs,
    windowMs,
  };
}

/** The scraper {@link createScraper} returns. */
export type Scraper = ReturnType<typeof createScraper>;

function errorText(e: unknown): string {
  const cause = (e as { cause?: { code?: string } }).cause?.code;
  return cause ?? (e instanceof Error ? e.message : String(e));
}

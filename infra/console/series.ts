import { metricNames } from '../../consumers/framework/metrics.ts';
import type { PromSample } from './prom-text.ts';

/** A histogram summed over its other labels: cumulative counts per upper bound, sum and count. */
export interface Histogram {
  /** `[upper bound in seconds, cumulative count]`, by bound, the last one `+Inf`. */
  buckets: [number, number][];
  sum: number;
  count: number;
}

/** What one scrape says about one consumer group (summed over topics and event types). */
export interface GroupSnapshot {
  /** When it was scraped (ms since epoch). */
  at: number;
  /** Events its handlers finished (ack or skip), since the process started. */
  processed: number;
  /** Commit (the event's `occurredAt`) → handler start. */
  commitToHandle: Histogram;
  /** One handler attempt. */
  handler: Histogram;
}

/** One point of a group's plots: what happened between two scrapes. */
export interface SeriesPoint {
  /** The later scrape's time (ms since epoch). */
  at: number;
  eventsPerSecond: number;
  /** Commit → handler start, estimated from the histogram's buckets as Prometheus does; null without events. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Mean commit → effect: mean commit → handler start plus mean handler duration; null without events. */
  effectMeanMs: number | null;
}

/** The consumer groups `samples` hold metrics of (their `group` label). */
export function groupsIn(samples: readonly PromSample[]): string[] {
  const names = new Set<string>();
  for (const s of samples)
    if (s.name.startsWith('outstream_consumer_') && s.labels.group) names.add(s.labels.group);
  return [...names].sort();
}

/** Sums one scrape's samples of `group` into a {@link GroupSnapshot} (pure). */
export function snapshotOf(samples: readonly PromSample[], group: string, at: number): GroupSnapshot {
  const mine = samples.filter((s) => s.labels.group === group);
  const processed = mine.filter((s) => s.name === metricNames.processed).reduce((n, s) => n + s.value, 0);
  return {
    at,
    processed,
    commitToHandle: histogramOf(mine, metricNames.commitToHandle),
    handler: histogramOf(mine, metricNames.handlerDuration),
  };
}

function histogramOf(samples: readonly PromSample[], name: string): Histogram {
  const byBound = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const s of samples) {
    if (s.name === `${name}_bucket`) {
      const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
      if (!Number.isNaN(le)) byBound.set(le, (byBound.get(le) ?? 0) + s.value);
    } else if (s.name === `${name}_sum`) sum += s.value;
    else if (s.name === `${name}_count`) count += s.value;
  }
  return { buckets: [...byBound].sort((a, b) => a[0] - b[0]), sum, count };
}

/**
 * The plot points of consecutive snapshots of one group (pure): events per second, p50 and p99
 * of commit → handler start and the mean commit → effect between each pair. A counter that went
 * down means the process restarted: its new value is what happened since.
 */
export function seriesOf(snapshots: readonly GroupSnapshot[]): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  for (let i = 1; i < snapshots.length; i++) {
    const a = snapshots[i - 1]!;
    const b = snapshots[i]!;
    const seconds = (b.at - a.at) / 1000;
    if (seconds <= 0) continue;
    const restarted = b.processed < a.processed || b.commitToHandle.count < a.commitToHandle.count;
    const before = restarted ? undefined : a;
    const c2h = histogramDelta(before?.commitToHandle, b.commitToHandle);
    const handler = histogramDelta(before?.handler, b.handler);
    points.push({
      at: b.at,
      eventsPerSecond: (b.processed - (before?.processed ?? 0)) / seconds,
      p50Ms: toMs(histogramQuantile(0.5, c2h)),
      p99Ms: toMs(histogramQuantile(0.99, c2h)),
      effectMeanMs:
        c2h.count > 0 && handler.count > 0
          ? (c2h.sum / c2h.count + handler.sum / handler.count) * 1000
          : null,
    });
  }
  return points;
}

function toMs(seconds: number | null): number | null {
  return seconds === null ? null : seconds * 1000;
}

function histogramDelta(a: Histogram | undefined, b: Histogram): Histogram {
  if (!a) return b;
  const prior = new Map(a.buckets);
  return {
    buckets: b.buckets.map(([le, n]) => [le, n - (prior.get(le) ?? 0)]),
    sum: b.sum - a.sum,
    count: b.count - a.count,
  };
}

/**
 * The `q` quantile of a histogram (Prometheus's `histogram_quantile`): linear interpolation
 * inside the bucket that holds it; the highest finite bound when it falls in `+Inf`; null
 * when the histogram is empty.
 */
export function histogramQuantile(q: number, h: Histogram): number | null {
  const total = h.buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [le, n] of h.buckets) {
    if (n >= rank) {
      if (le === Number.POSITIVE_INFINITY) return prevBound;
      if (n === prevCount) return le;
      return prevBound + ((le - prevBound) * (rank - prevCount)) / (n - prevCount);
    }
    prevBound = le;
    prevCount = n;
  }
  return prevBound;
}

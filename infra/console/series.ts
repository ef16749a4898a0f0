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

/** What happened between two scrapes of one process (one member of a group). */
export interface SeriesDelta {
  /** The later scrape's time (ms since epoch): the same for every member of one scrape round. */
  at: number;
  seconds: number;
  processed: number;
  commitToHandle: Histogram;
  handler: Histogram;
}

/**
 * The deltas of consecutive snapshots of one process (pure). A counter that went down means
 * the process restarted: its new value is what happened since. A pair with no time between
 * them is skipped.
 */
export function deltasOf(snapshots: readonly GroupSnapshot[]): SeriesDelta[] {
  const deltas: SeriesDelta[] = [];
  for (let i = 1; i < snapshots.length; i++) {
    const a = snapshots[i - 1]!;
    const b = snapshots[i]!;
    const seconds = (b.at - a.at) / 1000;
    if (seconds <= 0) continue;
    const restarted = b.processed < a.processed || b.commitToHandle.count < a.commitToHandle.count;
    const before = restarted ? undefined : a;
    deltas.push({
      at: b.at,
      seconds,
      processed: b.processed - (before?.processed ?? 0),
      commitToHandle: histogramDelta(before?.commitToHandle, b.commitToHandle),
      handler: histogramDelta(before?.handler, b.handler),
    });
  }
  return deltas;
}

/** The plot point of one interval. */
export function pointOf(d: SeriesDelta): SeriesPoint {
  const c2h = d.commitToHandle;
  return {
    at: d.at,
    eventsPerSecond: d.processed / d.seconds,
    p50Ms: toMs(histogramQuantile(0.5, c2h)),
    p99Ms: toMs(histogramQuantile(0.99, c2h)),
    effectMeanMs:
      c2h.count > 0 && d.handler.count > 0
        ? (c2h.sum / c2h.count + d.handler.sum / d.handler.count) * 1000
        : null,
  };
}

/**
 * The plot points of consecutive snapshots of one group (pure): events per second, p50 and p99
 * of commit → handler start and the mean commit → effect between each pair.
 */
export function seriesOf(snapshots: readonly GroupSnapshot[]): SeriesPoint[] {
  return deltasOf(snapshots).map(pointOf);
}

/**
 * The plot points of a group run by several processes (`npm start -- --members N`), each
 * scraped on its own (pure): per scrape round, the members' intervals are summed — events, and
 * histogram buckets before the quantiles are taken — each member's restarts handled on its own.
 * A member missing from a round (down, or not started yet) adds nothing to it.
 */
export function seriesOfMembers(members: readonly (readonly GroupSnapshot[])[]): SeriesPoint[] {
  const rounds = new Map<number, SeriesDelta[]>();
  for (const d of members.flatMap((m) => deltasOf(m))) {
    const round = rounds.get(d.at);
    if (round) round.push(d);
    else rounds.set(d.at, [d]);
  }
  return [...rounds.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([at, ds]) =>
      pointOf({
        at,
        seconds: Math.max(...ds.map((d) => d.seconds)),
        processed: ds.reduce((n, d) => n + d.processed, 0),
        commitToHandle: sumHistograms(ds.map((d) => d.commitToHandle)),
        handler: sumHistograms(ds.map((d) => d.handler)),
      }),
    );
}

function sumHistograms(hs: readonly Histogram[]): Histogram {
  const byBound = new Map<number, number>();
  for (const h of hs) for (const [le, n] of h.buckets) byBound.set(le, (byBound.get(le) ?? 0) + n);
  return {
    buckets: [...byBound].sort((a, b) => a[0] - b[0]),
    sum: hs.reduce((n, h) => n + h.sum, 0),
    count: hs.reduce((n, h) => n + h.count, 0),
  };
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

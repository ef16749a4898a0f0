import { describe, expect, it } from 'vitest';
import { metricNames } from '../../consumers/framework/metrics.ts';
import type { PromSample } from './prom-text.ts';
import {
  type GroupSnapshot,
  groupsIn,
  histogramQuantile,
  seriesOf,
  seriesOfMembers,
  snapshotOf,
} from './series.ts';

const s = (name: string, labels: Record<string, string>, value: number): PromSample => ({
  name,
  labels,
  value,
});

/** A scrape of one group: `processed` events, commit→handle observations in buckets. */
function scrape(
  group: string,
  processed: number,
  c2h: [number, number][],
  c2hSum: number,
  handlerSum: number,
) {
  const n = c2h.at(-1)?.[1] ?? 0;
  return [
    // Two topics and two event types: summed per group.
    s(
      metricNames.processed,
      { group, topic: 'events.booking', event_type: 'a', result: 'ack' },
      processed - 1,
    ),
    s(metricNames.processed, { group, topic: 'events.room', event_type: 'b', result: 'skip' }, 1),
    ...c2h.map(([le, v]) =>
      s(`${metricNames.commitToHandle}_bucket`, { group, event_type: 'a', le: String(le) }, v),
    ),
    s(`${metricNames.commitToHandle}_bucket`, { group, event_type: 'a', le: '+Inf' }, n),
    s(`${metricNames.commitToHandle}_sum`, { group, event_type: 'a' }, c2hSum),
    s(`${metricNames.commitToHandle}_count`, { group, event_type: 'a' }, n),
    s(`${metricNames.handlerDuration}_sum`, { group, event_type: 'a' }, handlerSum),
    s(`${metricNames.handlerDuration}_count`, { group, event_type: 'a' }, n),
    s(metricNames.processed, { group: 'other', topic: 't', event_type: 'a', result: 'ack' }, 999),
  ];
}

describe('series of a group from its scrapes', () => {
  it('finds the groups and sums a group over topics and event types', () => {
    const samples = scrape(
      'g',
      10,
      [
        [0.01, 4],
        [0.1, 10],
      ],
      0.3,
      0.05,
    );
    expect(groupsIn(samples)).toEqual(['g', 'other']);
    const snap = snapshotOf(samples, 'g', 1_000);
    expect(snap.processed).toBe(10);
    expect(snap.commitToHandle.count).toBe(10);
    expect(snap.commitToHandle.buckets.at(-1)).toEqual([Number.POSITIVE_INFINITY, 10]);
  });

  it('turns consecutive scrapes into events/s, p50/p99 and mean commit → effect', () => {
    const a = snapshotOf(
      scrape(
        'g',
        10,
        [
          [0.01, 10],
          [0.1, 10],
        ],
        0.05,
        0.01,
      ),
      'g',
      0,
    );
    // 5 s later: 100 more events, 50 under 10 ms, 50 between 10 and 100 ms.
    const b = snapshotOf(
      scrape(
        'g',
        110,
        [
          [0.01, 60],
          [0.1, 110],
        ],
        0.05 + 2.5,
        0.01 + 0.5,
      ),
      'g',
      5_000,
    );
    const [p] = seriesOf([a, b]);
    expect(p?.at).toBe(5_000);
    expect(p?.eventsPerSecond).toBe(20);
    expect(p?.p50Ms).toBeCloseTo(10, 5);
    expect(p?.p99Ms).toBeCloseTo(10 + 90 * (49 / 50), 5);
    // mean commit→handle 25 ms + mean handler 5 ms
    expect(p?.effectMeanMs).toBeCloseTo(30, 5);
  });

  it('shows an idle interval as 0 events/s with no latency, and a restart as what happened since', () => {
    const a = snapshotOf(scrape('g', 50, [[0.1, 50]], 1, 1), 'g', 0);
    const idle = snapshotOf(scrape('g', 50, [[0.1, 50]], 1, 1), 'g', 5_000);
    const restarted = snapshotOf(scrape('g', 5, [[0.1, 5]], 0.1, 0.05), 'g', 10_000);
    const [p1, p2] = seriesOf([a, idle, restarted]);
    expect(p1).toMatchObject({ eventsPerSecond: 0, p50Ms: null, p99Ms: null, effectMeanMs: null });
    expect(p2?.eventsPerSecond).toBe(1);
    expect(p2?.effectMeanMs).toBeCloseTo(30, 5);
  });

  it('sums the members of a group per scrape round: events, and buckets before the quantiles', () => {
    const snap = (processed: number, fast: number, all: number, at: number) =>
      snapshotOf(
        scrape(
          'g',
          processed,
          [
            [0.01, fast],
            [0.1, all],
          ],
          0,
          0,
        ),
        'g',
        at,
      );
    // Member 1: 100 events in 5 s, all under 10 ms. Member 2: 100 events, all 10–100 ms; then it
    // restarts (its counters start again: 20 events since, all slow), then it misses a round.
    const one = [
      snap(0, 0, 0, 0),
      snap(100, 100, 100, 5_000),
      snap(200, 200, 200, 10_000),
      snap(300, 300, 300, 15_000),
    ];
    const two = [snap(0, 0, 0, 0), snap(100, 0, 100, 5_000), snap(20, 0, 20, 10_000)];
    const [p1, p2, p3] = seriesOfMembers([one, two]);
    expect(p1).toMatchObject({ at: 5_000, eventsPerSecond: 40 });
    // Half the observations under 10 ms: the median at the bound, the p99 in the slow bucket.
    expect(p1?.p50Ms).toBeCloseTo(10, 5);
    expect(p1?.p99Ms).toBeCloseTo(10 + 90 * (98 / 100), 5);
    expect(p2).toMatchObject({ at: 10_000, eventsPerSecond: (100 + 20) / 5 });
    expect(p3).toMatchObject({ at: 15_000, eventsPerSecond: 20 });
    expect(p3?.p99Ms).toBeCloseTo(9.9, 5);
    // One member alone is seriesOf.
    expect(seriesOfMembers([one])).toEqual(seriesOf(one));
  });

  it('skips a pair of scrapes with no time between them', () => {
    const a: GroupSnapshot = snapshotOf([], 'g', 1_000);
    expect(seriesOf([a, { ...a }])).toEqual([]);
  });

  it('estimates quantiles as Prometheus does, the top finite bound for +Inf', () => {
    const h = {
      buckets: [
        [0.1, 0],
        [1, 10],
        [Number.POSITIVE_INFINITY, 20],
      ] as [number, number][],
      sum: 0,
      count: 20,
    };
    expect(histogramQuantile(0.25, h)).toBeCloseTo(0.55, 9);
    expect(histogramQuantile(0.99, h)).toBe(1);
    expect(histogramQuantile(0.5, { buckets: [], sum: 0, count: 0 })).toBeNull();
  });
});

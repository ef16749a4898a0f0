import { describe, expect, it } from 'vitest';
import { RecentBuffer } from './recent-buffer.ts';
import { mergeByTime } from './resume.ts';
import type { RoutedRecord } from './router.ts';

const rec = (topic: string, partition: number, offset: number, timestamp: number): RoutedRecord => ({
  topic,
  partition,
  offset: BigInt(offset),
  timestamp,
  type: 'booking.created',
  deliveries: [],
});

describe('mergeByTime', () => {
  it('interleaves partitions by time but never reorders a partition', () => {
    const records = [rec('t', 0, 1, 10), rec('t', 0, 2, 5), rec('t', 1, 7, 6), rec('u', 0, 3, 1)];
    const out = mergeByTime(records).map((r) => `${r.topic}${r.partition}@${r.offset}`);
    expect(out).toEqual(['u0@3', 't1@7', 't0@1', 't0@2']);
  });
});

describe('RecentBuffer', () => {
  it('covers each partition from its start until records are evicted', () => {
    const b = new RecentBuffer(3);
    b.startAt('t', 0, 10n);
    b.startAt('t', 1, 50n);
    b.push(rec('t', 0, 10, 0));
    b.push(rec('t', 1, 50, 0));
    b.push(rec('t', 0, 11, 0));
    expect(b.covers([{ topic: 't', partition: 0, from: 10n, to: 12n }])).toBe(true);
    expect(b.covers([{ topic: 't', partition: 0, from: 9n, to: 12n }])).toBe(false);
    b.push(rec('t', 0, 12, 0)); // evicts t0@10
    expect(b.covers([{ topic: 't', partition: 0, from: 10n, to: 13n }])).toBe(false);
    expect(b.covers([{ topic: 't', partition: 0, from: 11n, to: 13n }])).toBe(true);
    expect(b.covers([{ topic: 'x', partition: 0, from: 0n, to: 1n }])).toBe(false);
    const slice = b.slice([
      { topic: 't', partition: 0, from: 12n, to: 13n },
      { topic: 't', partition: 1, from: 50n, to: 51n },
    ]);
    expect(slice.map((r) => `${r.partition}@${r.offset}`)).toEqual(['1@50', '0@12']);
  });
});

import { describe, expect, it } from 'vitest';
import { RecentBuffer } from './recent-buffer.ts';
import { mergeByTime } from './resume.ts';
import type { RoutedRecord } from './router.ts';

const rec = (topic: string, partition: number, offset: number, timestamp: number): RoutedRecord => ({
  topic,
  partition,
  offset,
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
    b.startAt('t', 0, 10);
    b.startAt('t', 1, 50);
    b.push(rec('t', 0, 10, 0));
    b.push(rec('t', 1, 50, 0));
    b.push(rec('t', 0, 11, 0));
    expect(b.covers([{ topic: 't', partition: 0, from: 10, to: 12 }])).toBe(true);
    expect(b.covers([{ topic: 't', partition: 0, from: 9, to: 12 }])).toBe(false);
    b.push(rec('t', 0, 12, 0)); // evicts t0@10
    expect(b.covers([{ topic: 't', partition: 0, from: 10, to: 13 }])).toBe(false);
    expect(b.covers([{ topic: 't', partition: 0, from: 11, to: 13 }])).toBe(true);
    expect(b.covers([{ topic: 'x', partition: 0, from: 0, to: 1 }])).toBe(false);
    const slice = b.slice([
      { topic: 't', partition: 0, from: 12, to: 13 },
      { topic: 't', partition: 1, from: 50, to: 51 },
    ]);
    expect(slice.map((r) => `${r.partition}@${r.offset}`)).toEqual(['1@50', '0@12']);
  });
});

import { describe, expect, it } from 'vitest';
import { mergeCommits } from './kafkajs-fixes.ts';

describe('mergeCommits', () => {
  it('puts every partition of every caller into one request', () => {
    expect(
      mergeCommits([
        { topics: [{ topic: 'a', partitions: [{ partition: 0, offset: '5' }] }] },
        { topics: [{ topic: 'a', partitions: [{ partition: 1, offset: '7' }] }] },
        { topics: [{ topic: 'b', partitions: [{ partition: 0, offset: '1' }] }] },
      ]),
    ).toEqual([
      {
        topic: 'a',
        partitions: [
          { partition: 0, offset: '5' },
          { partition: 1, offset: '7' },
        ],
      },
      { topic: 'b', partitions: [{ partition: 0, offset: '1' }] },
    ]);
  });

  it('keeps the offset asked for last when callers name the same partition', () => {
    const merged = mergeCommits([
      { topics: [{ topic: 'a', partitions: [{ partition: 0, offset: '9' }] }] },
      { topics: [{ topic: 'a', partitions: [{ partition: 0, offset: '4' }] }] },
    ]);
    expect(merged).toEqual([{ topic: 'a', partitions: [{ partition: 0, offset: '4' }] }]);
  });

  it('returns no topics for no commits', () => {
    expect(mergeCommits([])).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { startPositions, uncommittedPartitions } from './start-positions.ts';

describe('start positions', () => {
  const assignment = { 'events.booking': [0, 1, 2], 'events.user': [3] };

  it('finds the assigned partitions without a committed offset', () => {
    const committed = [
      {
        topic: 'events.booking',
        partitions: [
          { partition: 0, offset: '17' },
          { partition: 1, offset: '-1' },
          { partition: 2, offset: '0' },
          { partition: 5, offset: '-1' },
        ],
      },
    ];
    expect(uncommittedPartitions(assignment, committed)).toEqual([
      { topic: 'events.booking', partitions: [1] },
      { topic: 'events.user', partitions: [3] },
    ]);
    expect(uncommittedPartitions({ 'events.booking': [] }, [])).toEqual([]);
  });

  it('starts each at the end, or at the first offset held with fromBeginning', () => {
    const uncommitted = [
      { topic: 'events.booking', partitions: [1] },
      { topic: 'events.user', partitions: [3] },
    ];
    const offsets = {
      'events.booking': [
        { partition: 0, low: '0', high: '9' },
        { partition: 1, low: '4', high: '12' },
      ],
      'events.user': [{ partition: 3, low: '100', high: '100' }],
    };
    expect(startPositions(uncommitted, offsets, false)).toEqual([
      { topic: 'events.booking', partition: 1, offset: '12' },
      { topic: 'events.user', partition: 3, offset: '100' },
    ]);
    expect(startPositions(uncommitted, offsets, true)).toEqual([
      { topic: 'events.booking', partition: 1, offset: '4' },
      { topic: 'events.user', partition: 3, offset: '100' },
    ]);
  });

  it('refuses to guess a partition it has no offsets for', () => {
    expect(() =>
      startPositions([{ topic: 'events.user', partitions: [7] }], { 'events.user': [] }, false),
    ).toThrow('no offsets for events.user/7');
  });
});

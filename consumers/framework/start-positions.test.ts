import { describe, expect, it } from 'vitest';
import { startPositions, uncommittedPartitions } from './start-positions.ts';

describe('start positions', () => {
  const assigned = [
    { topic: 'events.booking', partition: 0 },
    { topic: 'events.booking', partition: 1 },
    { topic: 'events.user', partition: 3 },
  ];

  it('finds the assigned partitions without a committed offset', () => {
    const committed = [
      { topic: 'events.booking', partition: 0, offset: 17n },
      { topic: 'events.booking', partition: 5, offset: 2n },
    ];
    expect(uncommittedPartitions(assigned, committed)).toEqual([
      { topic: 'events.booking', partition: 1 },
      { topic: 'events.user', partition: 3 },
    ]);
    expect(uncommittedPartitions([], committed)).toEqual([]);
  });

  it('starts each at the end, or at the first offset held with fromBeginning', () => {
    const bounds = new Map([
      ['events.booking', [{ partition: 1, low: 5n, high: 90n }]],
      ['events.user', [{ partition: 3, low: 0n, high: 7n }]],
    ]);
    const uncommitted = assigned.slice(1);
    expect(startPositions(uncommitted, bounds, false)).toEqual([
      { topic: 'events.booking', partition: 1, offset: 90n },
      { topic: 'events.user', partition: 3, offset: 7n },
    ]);
    expect(startPositions(uncommitted, bounds, true)).toEqual([
      { topic: 'events.booking', partition: 1, offset: 5n },
      { topic: 'events.user', partition: 3, offset: 0n },
    ]);
    expect(() => startPositions([{ topic: 'events.room', partition: 0 }], bounds, true)).toThrow(
      /no offsets for events.room\/0/,
    );
  });
});

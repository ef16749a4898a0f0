import { describe, expect, it } from 'vitest';
import { deadLetterTopic, groupKind, ownerKind, parseDeadLetterTopic, replayCursorGroup } from './names.ts';

describe('Kafka naming rules', () => {
  it('names a dead-letter topic after its source and group, and reads both back', () => {
    const name = deadLetterTopic('events.booking', 'notifications');
    expect(name).toBe('events.booking.dlq.notifications');
    expect(parseDeadLetterTopic(name)).toEqual({ topic: 'events.booking', group: 'notifications' });
    expect(parseDeadLetterTopic(deadLetterTopic('events.booking', 'analytics.staging'))).toEqual({
      topic: 'events.booking',
      group: 'analytics.staging',
    });
    for (const bad of ['events.booking', '.dlq.x', 'events.booking.dlq.']) {
      expect(parseDeadLetterTopic(bad)).toBeUndefined();
    }
  });

  it('classifies groups: platform groups and replay cursors shown, throwaway and foreign ones apart', () => {
    expect(groupKind('notifications')).toBe('group');
    expect(groupKind(replayCursorGroup('notifications'))).toBe('replay-cursor');
    expect(groupKind('.dlq-replay')).toBe('group');
    expect(groupKind('test-rebalance-1')).toBe('test');
    expect(groupKind('bench-groups-1')).toBe('bench');
    expect(groupKind('outstream-sse-node1-gap')).toBe('legacy-reader');
    expect(groupKind('outstream-analytics-read-123')).toBe('legacy-reader');
    expect(groupKind('outstream-ops-5f0c')).toBe('legacy-reader');
    expect(groupKind('outstream-connect', 'connect')).toBe('connect');
    // A group with only committed offsets (no member ever joined) has no protocol type.
    expect(groupKind('analytics', '')).toBe('group');
    expect(ownerKind(replayCursorGroup('test-x'))).toBe('test');
    expect(ownerKind('notifications')).toBe('group');
  });
});

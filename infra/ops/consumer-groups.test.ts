import { describe, expect, it } from 'vitest';
import { groupKind, ownerKind } from './consumer-groups.ts';

describe('groupKind', () => {
  it('tells platform groups from throwaway, gateway, reader and Connect groups', () => {
    expect(groupKind('notifications')).toBe('group');
    expect(groupKind('notifications.staging')).toBe('group');
    expect(groupKind('notifications.dlq-replay')).toBe('replay-cursor');
    expect(groupKind('.dlq-replay')).toBe('group');
    expect(groupKind('test-notifications')).toBe('test');
    expect(groupKind('bench-1a2b')).toBe('bench');
    expect(groupKind('outstream-sse-vm-1-ab')).toBe('gateway');
    expect(groupKind('outstream-sse-vm-1-ab-gap')).toBe('gateway');
    expect(groupKind('outstream-ops-5f0c')).toBe('ops');
    expect(groupKind('outstream-connect', 'connect')).toBe('connect');
    // A group with only committed offsets (no member ever joined) has no protocol type.
    expect(groupKind('analytics', '')).toBe('group');
  });

  it('classifies a replay cursor or dead-letter topic by the group it serves', () => {
    expect(ownerKind('test-ops.dlq-replay')).toBe('test');
    expect(ownerKind('notifications.dlq-replay')).toBe('group');
    expect(ownerKind('test-notifications')).toBe('test');
  });
});

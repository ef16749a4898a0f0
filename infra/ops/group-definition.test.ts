import { describe, expect, it } from 'vitest';
import type { GroupDefinition } from '../../consumers/runtime/run-group.ts';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import { resolveDefinition } from './group-definition.ts';

const def = (name: string): GroupDefinition => ({
  name,
  healthPort: 0,
  startAt: 'end',
  build: () => Promise.reject(new Error('not built in this test')),
});
const defs = { notifications: def('notifications'), analytics: def('analytics') };

describe('resolveDefinition', () => {
  it('finds the definition by the group name, its suffixed form, or --definition', () => {
    expect(resolveDefinition(defs, 'notifications').name).toBe('notifications');
    expect(resolveDefinition(defs, 'notifications.staging').name).toBe('notifications');
    expect(resolveDefinition(defs, 'test-whatever', 'analytics').name).toBe('analytics');
  });

  it('names the definitions there are when none fits', () => {
    for (const [group, definition] of [
      ['billing', undefined],
      ['notifications', 'nope'],
      ['toString', undefined],
    ] as const) {
      let error: unknown;
      try {
        resolveDefinition(defs, group, definition);
      } catch (e) {
        error = e;
      }
      expect(isOutstreamError(error, ErrorCode.invalidArgument)).toBe(true);
      expect((error as Error).message).toContain('notifications, analytics');
    }
  });
});

import { describe, expect, it } from 'vitest';
import { checkSchedule, duplicateKeys, latestDueAt } from './schedule-input.ts';

const now = Date.parse('2026-11-30T09:00:00Z');
const paths = (when: unknown, options?: unknown) =>
  checkSchedule(when, options, now).issues.map((i) => i.path);

describe('checkSchedule', () => {
  it('accepts a time (past ones too: they fall due at once) or a delay', () => {
    const at = new Date(now + 60_000);
    expect(checkSchedule({ at }, {}, now)).toEqual({ due: { at }, issues: [] });
    expect(checkSchedule({ at: new Date(now - 3_600_000) }, undefined, now).issues).toEqual([]);
    expect(checkSchedule({ in: 0 }, { key: 'reminder:b1' }, now)).toEqual({ due: { inMs: 0 }, issues: [] });
  });

  it('refuses an invalid date or one PostgreSQL and ISO-8601 cannot both hold', () => {
    expect(paths({ at: new Date('nope') })).toEqual(['when.at']);
    expect(paths({ at: '2026-12-01T00:00:00Z' })).toEqual(['when.at']);
    expect(paths({ at: new Date(latestDueAt + 1) })).toEqual(['when.at']);
    expect(paths({ at: new Date(-1) })).toEqual(['when.at']);
    expect(checkSchedule({ at: new Date('nope') }, {}, now).issues[0]?.received).toBe('Invalid Date');
  });

  it('refuses a negative, NaN, infinite or non-numeric delay, naming the value', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '60000', latestDueAt]) {
      expect(paths({ in: bad })).toEqual(['when.in']);
    }
    expect(checkSchedule({ in: Number.NaN }, {}, now).issues[0]?.received).toBe('NaN');
  });

  it('wants exactly one of at and in', () => {
    expect(paths({})).toEqual(['when']);
    expect(paths(undefined)).toEqual(['when']);
    expect(paths({ at: new Date(now), in: 5 })).toEqual(['when']);
  });

  it('refuses an empty, oversized or NUL-carrying key, and reports every issue at once', () => {
    expect(paths({ in: 1 }, { key: '' })).toEqual(['options.key']);
    expect(paths({ in: 1 }, { key: 'k'.repeat(256) })).toEqual(['options.key']);
    expect(paths({ in: 1 }, { key: 'a\u0000b' })).toEqual(['options.key']);
    expect(paths({ in: 1 }, { key: 42 })).toEqual(['options.key']);
    expect(paths({ in: -5 }, { key: '' })).toEqual(['when.in', 'options.key']);
    expect(checkSchedule({ in: 1 }, { key: 'k'.repeat(255) }, now).issues).toEqual([]);
  });

  it('finds every repeated use of a key in one call, ignoring items without one', () => {
    expect(duplicateKeys(['a', undefined, 'b', 'a', 'a', undefined])).toEqual([
      {
        index: 3,
        issue: {
          path: '[3].key',
          expected: 'a key used once per scheduleMany call (first at [0])',
          received: '"a"',
        },
      },
      {
        index: 4,
        issue: {
          path: '[4].key',
          expected: 'a key used once per scheduleMany call (first at [0])',
          received: '"a"',
        },
      },
    ]);
    expect(duplicateKeys(['a', 'b', undefined, undefined])).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { formatLogLine } from './log-format.ts';

const o = { color: false, width: 13, index: 0 };

describe('formatLogLine', () => {
  it('unpacks pino JSON: time, level, message, then the other fields', () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.parse('2026-11-25T10:00:01.123Z'),
      pid: 1,
      hostname: 'h',
      group: 'notifications',
      msg: 'handler failed; retrying',
      attempt: 2,
      err: { type: 'EmailDeferredError', message: 'email deferred' },
    });
    expect(formatLogLine('notifications', line, o)).toBe(
      '10:00:01.123 notifications │ WARN  handler failed; retrying attempt=2 err="EmailDeferredError: email deferred"',
    );
  });

  it('passes other lines through as they are, JSON that is not pino’s too', () => {
    expect(formatLogLine('analytics', 'plain text {', o)).toMatch(/analytics {5}│ plain text \{$/);
    const other = '{"level":"ERROR","message":"from another logger"}';
    expect(formatLogLine('analytics', other, o)).toMatch(
      /analytics {5}│ \{"level":"ERROR","message":"from another logger"\}$/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import { parseReportQuery } from './query.ts';

const now = Date.parse('2026-11-25T15:30:00Z');

describe('parseReportQuery', () => {
  it('defaults to the last 7 UTC days, today included', () => {
    const q = parseReportQuery({}, now);
    expect(q.from.toISOString()).toBe('2026-11-19T00:00:00.000Z');
    expect(q.to.toISOString()).toBe('2026-11-26T00:00:00.000Z');
    expect(q.hotelId).toBeUndefined();
  });

  it('reads dates as whole days (to inclusive) and date-times as instants (to exclusive)', () => {
    const days = parseReportQuery({ hotel: '7', from: '2026-11-01', to: '2026-11-30' }, now);
    expect([days.hotelId, days.from.toISOString(), days.to.toISOString()]).toEqual([
      '7',
      '2026-11-01T00:00:00.000Z',
      '2026-12-01T00:00:00.000Z',
    ]);
    const times = parseReportQuery({ from: '2026-11-25T10:00:00Z', to: '2026-11-25T12:00:00Z' }, now);
    expect(times.to.toISOString()).toBe('2026-11-25T12:00:00.000Z');
  });

  it('names every bad parameter in one typed error', () => {
    let error: unknown;
    try {
      parseReportQuery({ hotel: 'a b', from: 'soon', to: '2026-02-30x' }, now);
    } catch (e) {
      error = e;
    }
    expect(isOutstreamError(error, ErrorCode.invalidArgument)).toBe(true);
    expect((error as { issues: string[] }).issues).toEqual([
      'from: expected an ISO date (YYYY-MM-DD) or date-time, got "soon"',
      'to: expected an ISO date (YYYY-MM-DD) or date-time, got "2026-02-30x"',
      'hotel: expected a hotel id without spaces, got "a b"',
    ]);
    expect(() => parseReportQuery({ from: '2026-11-10', to: '2026-11-01' }, now)).toThrow(
      /from must be before to/,
    );
  });
});

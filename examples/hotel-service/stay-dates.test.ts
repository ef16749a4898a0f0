import { describe, expect, it } from 'vitest';
import { addDays, isCalendarDate, nightsBetween, stayDateIssues } from './stay-dates.ts';

const today = '2026-11-30';
const paths = (dates: unknown) => stayDateIssues(dates, today).map((i) => i.path);

describe('stay dates', () => {
  it('accept a stay from today on, with a departure after the arrival', () => {
    expect(stayDateIssues({ checkIn: today, checkOut: '2026-12-01' }, today)).toEqual([]);
    expect(stayDateIssues({ checkIn: '2027-02-27', checkOut: '2027-03-02' }, today)).toEqual([]);
  });

  it('refuse malformed and impossible dates, naming each field', () => {
    expect(paths({ checkIn: '2026-02-30', checkOut: '2026-12-05' })).toEqual(['checkIn']);
    expect(paths({ checkIn: '2026-12-1', checkOut: '12/05/2026' })).toEqual(['checkIn', 'checkOut']);
    expect(paths({ checkIn: 20261201, checkOut: null })).toEqual(['checkIn', 'checkOut']);
    expect(paths(undefined)).toEqual(['checkIn', 'checkOut']);
    expect(stayDateIssues({ checkIn: '2026-13-01', checkOut: '2026-12-05' }, today)[0]).toEqual({
      path: 'checkIn',
      expected: 'a calendar date YYYY-MM-DD',
      received: '"2026-13-01"',
    });
  });

  it('refuse a departure not after the arrival, and an arrival in the past', () => {
    expect(stayDateIssues({ checkIn: '2026-12-03', checkOut: '2026-12-03' }, today)).toEqual([
      { path: 'checkOut', expected: 'a date after checkIn (2026-12-03)', received: '"2026-12-03"' },
    ]);
    expect(paths({ checkIn: '2026-12-03', checkOut: '2026-12-01' })).toEqual(['checkOut']);
    expect(paths({ checkIn: '2026-11-29', checkOut: '2026-12-01' })).toEqual(['checkIn']);
  });

  it('count and shift calendar days across months and years', () => {
    expect(isCalendarDate('2028-02-29')).toBe(true);
    expect(isCalendarDate('2027-02-29')).toBe(false);
    expect(addDays('2026-12-30', 3)).toBe('2027-01-02');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(nightsBetween('2026-12-30', '2027-01-02')).toBe(3);
  });
});

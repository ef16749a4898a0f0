import type { FieldIssue } from '../../core/errors.ts';

/** A stay's calendar dates, ISO-8601 (`YYYY-MM-DD`) in the hotel's time zone (UTC for the example hotels). */
export interface StayDates {
  checkIn: string;
  checkOut: string;
}

const day = 86_400_000;

/** The ISO calendar date of a time (UTC). */
export const isoDate = (t: number): string => new Date(t).toISOString().slice(0, 10);

/** A date shifted by whole days. */
export const addDays = (date: string, days: number): string => isoDate(Date.parse(date) + days * day);

/** Nights between two calendar dates. */
export const nightsBetween = (from: string, to: string): number =>
  Math.round((Date.parse(to) - Date.parse(from)) / day);

/** True for a real calendar date written `YYYY-MM-DD` (not `2026-02-30`, not `2026-2-3`). */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const t = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(t) && isoDate(t) === value;
}

/**
 * Checks new stay dates: both real calendar dates, the arrival not before `today`, the
 * departure after the arrival. Returns every issue (paths `checkIn`, `checkOut`).
 *
 * @example
 * stayDateIssues({ checkIn: '2026-12-03', checkOut: '2026-12-03' }, '2026-11-30');
 * // [{ path: 'checkOut', expected: 'a date after checkIn (2026-12-03)', received: '"2026-12-03"' }]
 */
export function stayDateIssues(dates: unknown, today: string): FieldIssue[] {
  const { checkIn, checkOut } = (typeof dates === 'object' && dates !== null ? dates : {}) as {
    checkIn?: unknown;
    checkOut?: unknown;
  };
  const issues: FieldIssue[] = [];
  const calendar = 'a calendar date YYYY-MM-DD';
  if (!isCalendarDate(checkIn)) issues.push({ path: 'checkIn', expected: calendar, received: show(checkIn) });
  else if (checkIn < today) {
    issues.push({ path: 'checkIn', expected: `today (${today}) or later`, received: show(checkIn) });
  }
  if (!isCalendarDate(checkOut))
    issues.push({ path: 'checkOut', expected: calendar, received: show(checkOut) });
  else if (isCalendarDate(checkIn) && checkOut <= checkIn) {
    issues.push({
      path: 'checkOut',
      expected: `a date after checkIn (${checkIn})`,
      received: show(checkOut),
    });
  }
  return issues;
}

function show(value: unknown): string {
  return value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value)).slice(0, 60);
}

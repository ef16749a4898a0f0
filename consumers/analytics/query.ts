import { ErrorCode, OutstreamError } from '../../core/errors.ts';
import type { ReportQuery } from './report.ts';

/** A report query parameter is malformed; `issues` name each one. */
export class InvalidReportQueryError extends OutstreamError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(ErrorCode.invalidArgument, `invalid report query:\n  - ${issues.join('\n  - ')}`);
    this.issues = issues;
  }
}

const day = 86_400_000;
const dateOnly = /^\d{4}-\d{2}-\d{2}$/;

function startOfUtcDay(t: number): number {
  return Math.floor(t / day) * day;
}

/**
 * Parses report parameters as the CLI and the HTTP endpoint receive them (strings).
 * `from`/`to` take an ISO date (`2026-11-25`, whole UTC days; `to` inclusive) or an ISO
 * date-time (`to` exclusive). Defaults: the last 7 UTC days, today included.
 *
 * @throws InvalidReportQueryError naming every bad parameter.
 * @example
 * parseReportQuery({ hotel: '1', from: '2026-11-01', to: '2026-11-30' });
 */
export function parseReportQuery(
  params: { hotel?: string | undefined; from?: string | undefined; to?: string | undefined },
  now = Date.now(),
): ReportQuery {
  const issues: string[] = [];
  const time = (name: 'from' | 'to', value: string | undefined, fallback: number): number => {
    if (value === undefined || value === '') return fallback;
    const t = Date.parse(dateOnly.test(value) ? `${value}T00:00:00Z` : value);
    if (Number.isNaN(t)) {
      issues.push(`${name}: expected an ISO date (YYYY-MM-DD) or date-time, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return name === 'to' && dateOnly.test(value) ? t + day : t;
  };
  const from = time('from', params.from, startOfUtcDay(now) - 6 * day);
  const to = time('to', params.to, startOfUtcDay(now) + day);
  if (issues.length === 0 && from >= to)
    issues.push(`from must be before to (got ${params.from} … ${params.to})`);
  const hotel = params.hotel;
  if (hotel !== undefined && (hotel.length > 255 || /[\s]/.test(hotel))) {
    issues.push(`hotel: expected a hotel id without spaces, got ${JSON.stringify(hotel)}`);
  }
  if (issues.length > 0) throw new InvalidReportQueryError(issues);
  return { ...(hotel === undefined ? {} : { hotelId: hotel }), from: new Date(from), to: new Date(to) };
}

import { liveSchema, schemaIdent, type Tx } from './aggregate.ts';

/** What a report covers: one hotel or all, and a time range [from, to) in UTC. */
export interface ReportQuery {
  /** One hotel, or every hotel (each its own section) when undefined. `''` = events of no hotel. */
  hotelId?: string;
  from: Date;
  to: Date;
}

/** The booking funnel over the range. */
export interface Funnel {
  created: number;
  confirmed: number;
  checkedIn: number;
  checkedOut: number;
  cancelled: number;
}

/** Money over the range in one currency; decimal strings, exact. `net` = booked − refunded. */
export interface Revenue {
  currency: string;
  booked: string;
  refunded: string;
  settled: string;
  net: string;
}

/** The report of one hotel. */
export interface HotelReport {
  hotelId: string;
  /** Events per type (hours in range). */
  events: Record<string, number>;
  totalEvents: number;
  /** Funnel and revenue count the UTC days that overlap the range. */
  funnel: Funnel;
  revenue: Revenue[];
}

/** A whole report, as the CLI prints it and the HTTP endpoint returns it. */
export interface AnalyticsReport {
  from: string;
  to: string;
  hotels: HotelReport[];
}

const emptyFunnel = (): Funnel => ({ created: 0, confirmed: 0, checkedIn: 0, checkedOut: 0, cancelled: 0 });

/**
 * Queries the totals. Hourly counts cover the hours starting in [from, to); daily funnel and
 * revenue cover the UTC days that overlap it (a day is the finest grain they keep).
 */
export async function queryReport(db: Tx, q: ReportQuery, schema = liveSchema): Promise<AnalyticsReport> {
  const s = schemaIdent(schema);
  const hotel = q.hotelId ?? null;
  const args = [hotel, q.from, q.to];
  const dayRange = `day >= ($2::timestamptz AT TIME ZONE 'UTC')::date
    AND day <= (($3::timestamptz - interval '1 microsecond') AT TIME ZONE 'UTC')::date`;
  const [events, funnel, revenue] = await Promise.all([
    db.query<{ hotel_id: string; event_type: string; n: string }>(
      `SELECT hotel_id, event_type, sum(events)::bigint AS n FROM ${s}.events_hourly
       WHERE ($1::text IS NULL OR hotel_id = $1) AND hour >= $2 AND hour < $3
       GROUP BY 1, 2 ORDER BY 1, 2`,
      args,
    ),
    db.query<
      Record<'hotel_id' | 'created' | 'confirmed' | 'checked_in' | 'checked_out' | 'cancelled', string>
    >(
      `SELECT hotel_id, sum(created) AS created, sum(confirmed) AS confirmed, sum(checked_in) AS checked_in,
              sum(checked_out) AS checked_out, sum(cancelled) AS cancelled
       FROM ${s}.booking_funnel_daily WHERE ($1::text IS NULL OR hotel_id = $1) AND ${dayRange}
       GROUP BY 1 ORDER BY 1`,
      args,
    ),
    db.query<Record<'hotel_id' | 'currency' | 'booked' | 'refunded' | 'settled' | 'net', string>>(
      `SELECT hotel_id, currency, sum(booked) AS booked, sum(refunded) AS refunded, sum(settled) AS settled,
              sum(booked) - sum(refunded) AS net
       FROM ${s}.revenue_daily WHERE ($1::text IS NULL OR hotel_id = $1) AND ${dayRange}
       GROUP BY 1, 2 ORDER BY 1, 2`,
      args,
    ),
  ]);
  const hotels = new Map<string, HotelReport>();
  const section = (hotelId: string) => {
    let h = hotels.get(hotelId);
    if (!h) {
      h = { hotelId, events: {}, totalEvents: 0, funnel: emptyFunnel(), revenue: [] };
      hotels.set(hotelId, h);
    }
    return h;
  };
  if (hotel !== null) section(hotel);
  for (const r of events.rows) {
    const h = section(r.hotel_id);
    h.events[r.event_type] = Number(r.n);
    h.totalEvents += Number(r.n);
  }
  for (const r of funnel.rows) {
    section(r.hotel_id).funnel = {
      created: Number(r.created),
      confirmed: Number(r.confirmed),
      checkedIn: Number(r.checked_in),
      checkedOut: Number(r.checked_out),
      cancelled: Number(r.cancelled),
    };
  }
  for (const r of revenue.rows) {
    section(r.hotel_id).revenue.push({
      currency: r.currency,
      booked: r.booked,
      refunded: r.refunded,
      settled: r.settled,
      net: r.net,
    });
  }
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    hotels: [...hotels.values()].sort((a, b) =>
      a.hotelId.localeCompare(b.hotelId, undefined, { numeric: true }),
    ),
  };
}

/** The report as a readable text table (what `npm run analytics -- report` prints). */
export function formatReport(report: AnalyticsReport): string {
  const lines = [`analytics ${report.from} → ${report.to} (UTC)`];
  if (report.hotels.length === 0) lines.push('', 'no data in this range');
  for (const h of report.hotels) {
    lines.push('', `hotel ${h.hotelId === '' ? '(none)' : h.hotelId} — ${h.totalEvents} events`);
    const f = h.funnel;
    lines.push(
      table(
        ['created', 'confirmed', 'checked in', 'checked out', 'cancelled'],
        [[f.created, f.confirmed, f.checkedIn, f.checkedOut, f.cancelled].map(String)],
        '  funnel',
      ),
    );
    if (h.revenue.length > 0) {
      lines.push(
        table(
          ['currency', 'booked', 'refunded', 'net', 'settled'],
          h.revenue.map((r) => [r.currency, r.booked, r.refunded, r.net, r.settled]),
          '  revenue',
        ),
      );
    }
    const types = Object.entries(h.events);
    if (types.length > 0)
      lines.push(
        table(
          ['event type', 'events'],
          types.map(([t, n]) => [t, String(n)]),
          '  events',
        ),
      );
  }
  return lines.join('\n');
}

function table(head: string[], rows: string[][], title: string): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // Numeric columns are right-aligned, heading included; text columns left-aligned.
  const numeric = head.map((_, i) => rows.length > 0 && rows.every((r) => /^-?[\d.]+$/.test(r[i]!)));
  const cell = (v: string, i: number) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!));
  const line = (r: string[]) => `    ${r.map(cell).join('  ')}`.trimEnd();
  const rule = `    ${widths.map((w) => '─'.repeat(w)).join('  ')}`;
  return [title, line(head), rule, ...rows.map(line)].join('\n');
}

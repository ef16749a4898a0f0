import type pg from 'pg';
import type { Fact } from './rules.ts';

/** A transaction on the caller's connection. */
export type Tx = Pick<pg.ClientBase, 'query'>;

/** The live schema; `rebuild` writes to another one made by `analytics_create_tables`. */
export const liveSchema = 'analytics';

/** Quotes a schema name after checking it is a plain identifier (it is spliced into SQL). */
export function schemaIdent(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new RangeError(`not a plain schema name: ${schema}`);
  return `"${schema}"`;
}

/** What one {@link applyFacts} call did. */
export interface ApplyResult {
  /** Facts added to the totals. */
  counted: number;
  /** Facts whose event was already counted (a redelivery): ignored. */
  duplicates: number;
}

/**
 * Adds a batch of facts to the totals, inside the caller's transaction: first the event
 * ids are claimed in `counted_events` (a known id drops its fact), then one grouped upsert
 * per table adds the remaining facts. Rows are written in primary-key order so that
 * concurrent batches lock them in the same order (no deadlocks). Money is summed by
 * PostgreSQL as `numeric`: exact, never a float.
 */
export async function applyFacts(tx: Tx, facts: readonly Fact[], schema = liveSchema): Promise<ApplyResult> {
  if (facts.length === 0) return { counted: 0, duplicates: 0 };
  const s = schemaIdent(schema);
  const sorted = [...facts].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  const col = <T>(f: (x: Fact) => T) => sorted.map(f);
  const { rows } = await tx.query<{ event_id: string }>(
    `INSERT INTO ${s}.counted_events (event_id, topic, kpartition, koffset)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::bigint[])
     ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
    [col((f) => f.eventId), col((f) => f.topic), col((f) => f.partition), col((f) => f.offset.toString())],
  );
  const fresh = new Set(rows.map((r) => r.event_id));
  const todo = sorted.filter((f) => fresh.has(f.eventId));
  if (todo.length > 0) {
    const params = [
      todo.map((f) => f.hotelId ?? ''),
      todo.map((f) => f.eventType),
      todo.map((f) => f.at),
      todo.map((f) => f.funnel ?? null),
      todo.map((f) => f.money?.kind ?? null),
      todo.map((f) => f.money?.amount ?? null),
      todo.map((f) => f.money?.currency ?? null),
    ];
    await tx.query(`${factsCte}${upsertHourly(s)}`, params);
    if (todo.some((f) => f.funnel)) await tx.query(`${factsCte}${upsertFunnel(s)}`, params);
    if (todo.some((f) => f.money)) await tx.query(`${factsCte}${upsertRevenue(s)}`, params);
  }
  return { counted: todo.length, duplicates: sorted.length - todo.length };
}

const factsCte = `WITH f AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::numeric[], $7::text[])
    AS f(hotel_id, event_type, at, stage, money_kind, amount, currency))
`;

const upsertHourly = (s: string) => `
INSERT INTO ${s}.events_hourly AS t (hotel_id, hour, event_type, events)
SELECT hotel_id, date_trunc('hour', at, 'UTC'), event_type, count(*) FROM f
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (hotel_id, hour, event_type) DO UPDATE SET events = t.events + EXCLUDED.events`;

const upsertFunnel = (s: string) => `
INSERT INTO ${s}.booking_funnel_daily AS t (hotel_id, day, created, confirmed, checked_in, checked_out, cancelled)
SELECT hotel_id, (at AT TIME ZONE 'UTC')::date,
       count(*) FILTER (WHERE stage = 'created'), count(*) FILTER (WHERE stage = 'confirmed'),
       count(*) FILTER (WHERE stage = 'checked_in'), count(*) FILTER (WHERE stage = 'checked_out'),
       count(*) FILTER (WHERE stage = 'cancelled')
FROM f WHERE stage IS NOT NULL
GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (hotel_id, day) DO UPDATE SET
  created = t.created + EXCLUDED.created, confirmed = t.confirmed + EXCLUDED.confirmed,
  checked_in = t.checked_in + EXCLUDED.checked_in, checked_out = t.checked_out + EXCLUDED.checked_out,
  cancelled = t.cancelled + EXCLUDED.cancelled`;

const upsertRevenue = (s: string) => `
INSERT INTO ${s}.revenue_daily AS t (hotel_id, day, currency, booked, refunded, settled)
SELECT hotel_id, (at AT TIME ZONE 'UTC')::date, currency,
       coalesce(sum(amount) FILTER (WHERE money_kind = 'booked'), 0),
       coalesce(sum(amount) FILTER (WHERE money_kind = 'refunded'), 0),
       coalesce(sum(amount) FILTER (WHERE money_kind = 'settled'), 0)
FROM f WHERE money_kind IS NOT NULL
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (hotel_id, day, currency) DO UPDATE SET
  booked = t.booked + EXCLUDED.booked, refunded = t.refunded + EXCLUDED.refunded,
  settled = t.settled + EXCLUDED.settled`;

-- Analytics (consumers/analytics): an event twice in ONE batch is counted once.
-- `analytics_apply_facts` (migration 009) claimed each fact's event id in `counted_events`, but
-- joined every fact of the batch to the claimed ids: two facts of one event in the same batch
-- (Connect publishes a record again after a producer retry, so a topic can hold an event at
-- two offsets, and both can arrive before one flush) were both added to the totals. The input
-- is now reduced to one fact per event first; the rest of the function is unchanged.
-- The three-broker fault suite (test:cluster) over-counted a few events after a broker kill,
-- which this explains; consumers/analytics/analytics.int.test.ts shows the defect and the fix.
CREATE OR REPLACE FUNCTION analytics_apply_facts(
  target      text,
  event_ids   uuid[],
  topics      text[],
  partitions  integer[],
  offsets     bigint[],
  hotel_ids   text[],
  event_types text[],
  ats         timestamptz[],
  stages      text[],
  money_kinds text[],
  amounts     numeric[],
  currencies  text[],
  OUT counted integer,
  OUT duplicates integer
) LANGUAGE plpgsql AS $fn$
BEGIN
  -- 0x616e6c74: `swapLockKey` in consumers/analytics/rebuild.ts.
  PERFORM pg_advisory_xact_lock_shared(1634626676);
  EXECUTE format($q$
    WITH f AS (
      -- One fact per event: a record Connect published twice (a producer retry after a broker
      -- failure) can sit twice in one batch, at two offsets; the first offset is kept.
      SELECT DISTINCT ON (event_id) *
      FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        AS f(event_id, topic, kpartition, koffset, hotel_id, event_type, at, stage, money_kind, amount, currency)
      ORDER BY event_id, kpartition, koffset),
    claimed AS (
      INSERT INTO %1$I.counted_events (event_id, topic, kpartition, koffset)
      SELECT event_id, topic, kpartition, koffset FROM f ORDER BY event_id
      ON CONFLICT (event_id) DO NOTHING RETURNING event_id),
    todo AS (SELECT f.* FROM f JOIN claimed USING (event_id)),
    hourly AS (
      INSERT INTO %1$I.events_hourly AS t (hotel_id, hour, event_type, events)
      SELECT hotel_id, date_trunc('hour', at, 'UTC'), event_type, count(*) FROM todo
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (hotel_id, hour, event_type) DO UPDATE SET events = t.events + EXCLUDED.events),
    funnel AS (
      INSERT INTO %1$I.booking_funnel_daily AS t
        (hotel_id, day, created, confirmed, checked_in, checked_out, cancelled)
      SELECT hotel_id, (at AT TIME ZONE 'UTC')::date,
             count(*) FILTER (WHERE stage = 'created'), count(*) FILTER (WHERE stage = 'confirmed'),
             count(*) FILTER (WHERE stage = 'checked_in'), count(*) FILTER (WHERE stage = 'checked_out'),
             count(*) FILTER (WHERE stage = 'cancelled')
      FROM todo WHERE stage IS NOT NULL
      GROUP BY 1, 2 ORDER BY 1, 2
      ON CONFLICT (hotel_id, day) DO UPDATE SET
        created = t.created + EXCLUDED.created, confirmed = t.confirmed + EXCLUDED.confirmed,
        checked_in = t.checked_in + EXCLUDED.checked_in, checked_out = t.checked_out + EXCLUDED.checked_out,
        cancelled = t.cancelled + EXCLUDED.cancelled),
    revenue AS (
      INSERT INTO %1$I.revenue_daily AS t (hotel_id, day, currency, booked, refunded, settled)
      SELECT hotel_id, (at AT TIME ZONE 'UTC')::date, currency,
             coalesce(sum(amount) FILTER (WHERE money_kind = 'booked'), 0),
             coalesce(sum(amount) FILTER (WHERE money_kind = 'refunded'), 0),
             coalesce(sum(amount) FILTER (WHERE money_kind = 'settled'), 0)
      FROM todo WHERE money_kind IS NOT NULL
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (hotel_id, day, currency) DO UPDATE SET
        booked = t.booked + EXCLUDED.booked, refunded = t.refunded + EXCLUDED.refunded,
        settled = t.settled + EXCLUDED.settled)
    SELECT count(*)::integer FROM claimed$q$, target)
  INTO counted
  USING event_ids, topics, partitions, offsets, hotel_ids, event_types, ats, stages, money_kinds, amounts, currencies;
  duplicates := cardinality(event_ids) - counted;
END
$fn$;

-- Analytics group (consumers/analytics). `analytics_create_tables(schema)` is the one
-- definition of the tables: the migration creates the live schema `analytics` with it, and
-- `npm run analytics -- rebuild` creates fresh ones to recompute into (then may swap them
-- in by renaming schemas, which is why the function lives outside the schema).
CREATE FUNCTION analytics_create_tables(target text) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', target);
  -- Events per type per hotel per hour (UTC). hotel_id '' = the event belongs to no hotel.
  EXECUTE format($$CREATE TABLE %I.events_hourly (
    hotel_id   text        NOT NULL,
    hour       timestamptz NOT NULL,
    event_type text        NOT NULL,
    events     bigint      NOT NULL CHECK (events >= 0),
    PRIMARY KEY (hotel_id, hour, event_type))$$, target);
  -- The booking funnel per hotel per day (UTC): how many bookings reached each stage.
  EXECUTE format($$CREATE TABLE %I.booking_funnel_daily (
    hotel_id    text   NOT NULL,
    day         date   NOT NULL,
    created     bigint NOT NULL DEFAULT 0,
    confirmed   bigint NOT NULL DEFAULT 0,
    checked_in  bigint NOT NULL DEFAULT 0,
    checked_out bigint NOT NULL DEFAULT 0,
    cancelled   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (hotel_id, day))$$, target);
  -- Money per hotel per day per currency, exact decimals: booked (confirmed totals),
  -- refunded (cancellation refunds) and settled (final bills at check-out).
  EXECUTE format($$CREATE TABLE %I.revenue_daily (
    hotel_id text          NOT NULL,
    day      date          NOT NULL,
    currency char(3)       NOT NULL,
    booked   numeric(18,2) NOT NULL DEFAULT 0,
    refunded numeric(18,2) NOT NULL DEFAULT 0,
    settled  numeric(18,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (hotel_id, day, currency))$$, target);
  -- Events already counted: written in the same transaction as the totals, so a
  -- redelivered event changes nothing. Pruned after the topics' retention.
  EXECUTE format($$CREATE TABLE %I.counted_events (
    event_id   uuid        PRIMARY KEY,
    topic      text        NOT NULL,
    kpartition integer     NOT NULL,
    koffset    bigint      NOT NULL,
    counted_at timestamptz NOT NULL DEFAULT now())$$, target);
  EXECUTE format('CREATE INDEX ON %I.counted_events (counted_at)', target);
END
$fn$;

SELECT analytics_create_tables('analytics');

-- Scheduled events (producers/schedule.ts, producers/dispatcher.ts). schedule() writes a row
-- here in the caller's transaction: the event already validated, Avro-encoded and framed, with
-- its envelope. A dispatcher publishes it when it is due, in one transaction: it claims due rows
-- (FOR UPDATE SKIP LOCKED, so any number of dispatchers never take the same row), inserts their
-- outbox rows with the aggregate's next sequence number (allocated then: an aggregate's order
-- is its order of publication) and deletes them here. A crash before that commit leaves the
-- rows here, due, for the next claim; nothing is published twice.
CREATE TABLE scheduled_events (
  event_id       uuid        PRIMARY KEY,            -- the published event's id (UUIDv7)
  -- Set: the schedule is replaceable and cancellable by this key (unique while pending).
  schedule_key   text        UNIQUE CHECK (schedule_key <> '' AND char_length(schedule_key) <= 255),
  due_at         timestamptz NOT NULL,
  aggregate_type text        NOT NULL CHECK (aggregate_type ~ '^[a-z][a-z0-9_]*$' AND char_length(aggregate_type) <= 242),
  aggregate_id   text        NOT NULL CHECK (aggregate_id <> '' AND char_length(aggregate_id) <= 255),
  event_type     text        NOT NULL CHECK (event_type ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$'),
  actor          text,
  traceparent    text,
  tracestate     text,
  payload        bytea       NOT NULL CHECK (octet_length(payload) > 5), -- Confluent framing + Avro
  created_at     timestamptz NOT NULL DEFAULT now(),
  -- The outbox guard's limit (migration 007), checked at schedule time: a row the outbox would
  -- refuse would otherwise fail every dispatch of its batch when it falls due.
  CONSTRAINT scheduled_events_size CHECK (
    outbox_event_bytes(payload, event_type, aggregate_id, actor, traceparent, tracestate)
      <= outbox_max_event_bytes())
);
-- The dispatcher's claim and its "when is the next one due": ORDER BY due_at LIMIT n.
CREATE INDEX scheduled_events_due ON scheduled_events (due_at, event_id);

-- Sleeping dispatchers LISTEN on this channel. Each statement that schedules (or moves) events
-- notifies once, at commit, with the earliest due time it wrote (epoch milliseconds): a
-- dispatcher sleeping past it wakes earlier. Writers in other languages get it for free.
CREATE FUNCTION scheduled_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  earliest timestamptz;
BEGIN
  SELECT min(due_at) INTO earliest FROM written;
  IF earliest IS NOT NULL THEN
    PERFORM pg_notify('outstream_scheduled_events',
                      (floor(extract(epoch FROM earliest) * 1000))::bigint::text);
  END IF;
  RETURN NULL;
END
$$;

-- Transition tables allow one event per trigger: one for inserts, one for updates (a schedule
-- replaced by key is an INSERT … ON CONFLICT DO UPDATE).
CREATE TRIGGER scheduled_events_notify_insert AFTER INSERT ON scheduled_events
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION scheduled_events_notify();
CREATE TRIGGER scheduled_events_notify_update AFTER UPDATE ON scheduled_events
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION scheduled_events_notify();

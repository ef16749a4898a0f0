-- Only publishable rows may commit into the outbox. Kafka refuses a record over its size limit
-- (1 MiB); Connect then fails the Debezium task on that row, fails again on every restart, and
-- publishes nothing after it, on any key (issue 12). emit() refuses such an event before
-- writing; this trigger refuses it for every other writer (a service in another language, a
-- script, psql) at its INSERT, inside its transaction: the writer learns it there, and nothing
-- of that transaction commits. The limit is declared in connect/event-limit.ts
-- (maxEventBytes); infra/outbox/outbox-guard.int.test.ts checks that the figure here is it.

-- The largest event, in bytes, for writers to read: SELECT outbox_max_event_bytes().
CREATE FUNCTION outbox_max_event_bytes() RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 921600';
COMMENT ON FUNCTION outbox_max_event_bytes() IS
  'Largest outbox event in bytes: the framed payload plus event_type, aggregate_id, actor, '
  'traceparent and tracestate, plus 256 bytes for the other headers (connect/event-limit.ts)';

-- An event's size as emit() counts it: the framed payload, the envelope columns that travel as
-- Kafka headers, and a fixed 256 bytes for the header names and the event id, aggregate type,
-- sequence and occurred-at values.
CREATE FUNCTION outbox_event_bytes(payload bytea, event_type text, aggregate_id text, actor text,
                                   traceparent text, tracestate text) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT octet_length(payload)::bigint + octet_length(event_type) + octet_length(aggregate_id)
         + coalesce(octet_length(actor), 0) + coalesce(octet_length(traceparent), 0)
         + coalesce(octet_length(tracestate), 0) + 256
  $$;

CREATE FUNCTION outbox_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  size bigint := outbox_event_bytes(NEW.payload, NEW.event_type, NEW.aggregate_id, NEW.actor,
                                    NEW.traceparent, NEW.tracestate);
  what text := format('outbox event %s (%s on %s/%s)', NEW.event_id, NEW.event_type,
                      left(NEW.aggregate_type, 40), left(NEW.aggregate_id, 60));
BEGIN
  IF size > outbox_max_event_bytes() THEN
    RAISE EXCEPTION '% is % bytes (payload %, envelope and headers %): the limit is % bytes',
        what, size, octet_length(NEW.payload), size - octet_length(NEW.payload), outbox_max_event_bytes()
      USING ERRCODE = 'program_limit_exceeded',
            HINT = 'Kafka refuses records over 1 MiB and the connector would stop on this row: keep '
                   'large content elsewhere and put a reference in the event.';
  END IF;
  -- The key travels twice (record key and aggregate-id header) and is counted once above:
  -- emit()'s bound of 255 characters keeps the second copy within the headroom below 1 MiB.
  IF char_length(NEW.aggregate_id) > 255 THEN
    RAISE EXCEPTION '% has an aggregate_id of % characters: the limit is 255',
        what, char_length(NEW.aggregate_id)
      USING ERRCODE = 'string_data_right_truncation';
  END IF;
  -- The topic is events.<aggregate_type> and Kafka topic names end at 249 characters: Connect
  -- could not create it, and the task would fail.
  IF char_length(NEW.aggregate_type) > 242 THEN
    RAISE EXCEPTION '% has an aggregate_type of % characters: the limit is 242 (topic names end at 249)',
        what, char_length(NEW.aggregate_type)
      USING ERRCODE = 'string_data_right_truncation';
  END IF;
  RETURN NEW;
END
$$;

-- Inserts only: the connector publishes inserts; an update of an outbox row is ignored by the
-- Outbox Event Router (it logs "Unexpected update message received … and ignored").
CREATE TRIGGER outbox_guard BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_guard();

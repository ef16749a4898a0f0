-- emit() in ONE round trip: `outbox_write(…)` allocates each aggregate's sequence numbers,
-- writes the rows and, unless `retain`, deletes them again, all in the caller's transaction.
-- Debezium reads the inserts from the WAL and the publication skips deletes, so the outbox
-- table stays empty. Before this function emit() sent the INSERT and the DELETE as two
-- statements: each costs a round trip, and on a virtual machine a loopback round trip costs
-- more CPU than the statement (README "Measured").
--
-- The upsert on outbox_sequences takes each aggregate's row lock, held to commit, so a
-- concurrent transaction on the same aggregate waits and continues from the committed value:
-- gap-free, increasing in commit order. Aggregates are locked in sorted order, so two
-- multi-aggregate writes cannot deadlock. Events of one aggregate are numbered in input
-- order. Used by emit() and by the scheduled-events dispatcher (producers/outbox-rows.ts).
CREATE FUNCTION outbox_write(
  event_ids       uuid[],
  aggregate_types text[],
  aggregate_ids   text[],
  event_types     text[],
  occurred_ats    timestamptz[],
  actors          text[],
  traceparents    text[],
  tracestates     text[],
  payloads        bytea[],
  retain          boolean
) RETURNS TABLE (written_event_id uuid, written_sequence bigint) LANGUAGE plpgsql AS $fn$
BEGIN
  RETURN QUERY
  WITH input AS (
    SELECT * FROM unnest(event_ids, aggregate_types, aggregate_ids, event_types, occurred_ats, actors,
                         traceparents, tracestates, payloads)
      WITH ORDINALITY AS t(event_id, aggregate_type, aggregate_id, event_type, occurred_at, actor,
                           traceparent, tracestate, payload, ord)),
  counts AS (SELECT i.aggregate_type, i.aggregate_id, count(*) AS n FROM input i GROUP BY 1, 2),
  seq AS (
    INSERT INTO outbox_sequences AS s (aggregate_type, aggregate_id, last_sequence)
    SELECT c.aggregate_type, c.aggregate_id, c.n FROM counts c ORDER BY c.aggregate_type, c.aggregate_id
    ON CONFLICT (aggregate_type, aggregate_id)
      DO UPDATE SET last_sequence = s.last_sequence + EXCLUDED.last_sequence
    RETURNING s.aggregate_type, s.aggregate_id, s.last_sequence),
  numbered AS (
    SELECT i.*, seq.last_sequence - c.n
                + row_number() OVER (PARTITION BY i.aggregate_type, i.aggregate_id ORDER BY i.ord) AS sequence
    FROM input i JOIN counts c USING (aggregate_type, aggregate_id) JOIN seq USING (aggregate_type, aggregate_id))
  INSERT INTO outbox AS o (event_id, aggregate_type, aggregate_id, event_type, sequence, occurred_at, actor,
                           traceparent, tracestate, payload)
  SELECT n.event_id, n.aggregate_type, n.aggregate_id, n.event_type, n.sequence, n.occurred_at, n.actor,
         n.traceparent, n.tracestate, n.payload
  FROM numbered n ORDER BY n.ord
  RETURNING o.event_id, o.sequence;
  IF NOT retain THEN
    DELETE FROM outbox o WHERE o.event_id = ANY(event_ids);
  END IF;
END
$fn$;

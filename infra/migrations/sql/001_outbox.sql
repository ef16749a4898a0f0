-- The transactional outbox. Services insert one row per event in the same transaction as
-- their state change; Debezium reads the inserts from the WAL (pgoutput) and the Outbox
-- Event Router publishes each to events.<aggregate_type>, key = aggregate_id, payload bytes
-- unchanged, the other columns as Kafka headers. See producers/README.md for the contract.
CREATE TABLE outbox (
  event_id        uuid        PRIMARY KEY,            -- UUIDv7: time-ordered
  aggregate_type  text        NOT NULL CHECK (aggregate_type ~ '^[a-z][a-z0-9_]*$'),
  aggregate_id    text        NOT NULL CHECK (aggregate_id <> ''),
  event_type      text        NOT NULL CHECK (event_type ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$'),
  sequence        bigint      NOT NULL CHECK (sequence > 0),  -- per aggregate, gap-free
  occurred_at     timestamptz NOT NULL,
  actor           text,
  traceparent     text,
  tracestate      text,
  payload         bytea       NOT NULL CHECK (octet_length(payload) > 5), -- Confluent framing + Avro
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_created_at ON outbox (created_at);

-- Written by Debezium's heartbeat.action.query so that the replication slot keeps advancing
-- while the outbox is idle and other tables churn (otherwise the slot pins WAL forever).
CREATE TABLE outbox_heartbeat (
  id      smallint    PRIMARY KEY CHECK (id = 1),
  beat_at timestamptz NOT NULL
);
INSERT INTO outbox_heartbeat VALUES (1, now());

-- Only inserts are published: deleting published rows (retention) produces no events.
CREATE PUBLICATION outstream_outbox FOR TABLE outbox, outbox_heartbeat WITH (publish = 'insert, update');

-- Consumer-side idempotency (consumers/framework/idempotency.ts): a handler inserts the
-- event id here in the same transaction as its own writes, so a redelivered event finds its
-- row and the handler's effects happen exactly once per consumer group. Prune rows older
-- than the topics' retention (nothing older can be redelivered).
CREATE TABLE processed_events (
  consumer_group text        NOT NULL CHECK (consumer_group <> ''),
  event_id       uuid        NOT NULL,
  processed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, event_id)
);
CREATE INDEX processed_events_processed_at ON processed_events (processed_at);

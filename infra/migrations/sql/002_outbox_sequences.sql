-- Per-aggregate sequence numbers, allocated by emit() in the emitting transaction. The row
-- lock taken by the upsert serialises concurrent transactions on one aggregate, so numbers
-- are gap-free and increase in commit order (a rollback returns its numbers).
CREATE TABLE outbox_sequences (
  aggregate_type text   NOT NULL,
  aggregate_id   text   NOT NULL,
  last_sequence  bigint NOT NULL CHECK (last_sequence > 0),
  PRIMARY KEY (aggregate_type, aggregate_id)
);

-- Idempotency keys of emitted events: a second emit with a known key is ignored (it returns
-- the first event's id). Pruned by `npm run infra -- outbox prune` after the retention window.
CREATE TABLE outbox_idempotency (
  idempotency_key text        PRIMARY KEY CHECK (idempotency_key <> ''),
  event_id        uuid        NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_idempotency_created_at ON outbox_idempotency (created_at);

-- Keys a consumer group holds back after one of their events was dead-lettered
-- (orderingOnFailure: 'block-key' with the Postgres store, consumers/framework/blocked-keys.ts).
-- Written before the dead letter's offset is committed, read by every member when it joins,
-- so the block survives restarts and moves with the partition. Deleting a row (after the key's
-- dead letters were replayed) releases the key from the next rebalance or restart on.
CREATE TABLE consumer_blocked_keys (
  consumer_group    text        NOT NULL CHECK (consumer_group <> ''),
  topic             text        NOT NULL,
  record_key        text        NOT NULL,
  blocked_by_offset bigint      NOT NULL,
  blocked_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, topic, record_key)
);

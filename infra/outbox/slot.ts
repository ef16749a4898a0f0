import type pg from 'pg';

/** A replication slot's health, as an operator reads it. */
export interface SlotLag {
  slot: string;
  active: boolean;
  /** WAL the slot still holds: bytes between the current WAL position and the slot's confirmed position. */
  retainedBytes: number;
  /** `pg_replication_slots.wal_status`: reserved, extended, unreserved or lost. */
  walStatus: string | null;
}

/**
 * How much WAL each logical slot holds back. A growing figure while Connect runs means the
 * heartbeat is not reaching the slot; while Connect is down it is the backlog to publish.
 */
export async function slotLag(db: pg.ClientBase | pg.Pool, slotName?: string): Promise<SlotLag[]> {
  const { rows } = await db.query<{
    slot_name: string;
    active: boolean;
    retained: string | null;
    wal_status: string | null;
  }>(
    `SELECT slot_name, active, wal_status,
            pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint AS retained
       FROM pg_replication_slots
      WHERE slot_type = 'logical' AND ($1::text IS NULL OR slot_name = $1)
      ORDER BY slot_name`,
    [slotName ?? null],
  );
  return rows.map((r) => ({
    slot: r.slot_name,
    active: r.active,
    retainedBytes: Number(r.retained ?? 0),
    walStatus: r.wal_status,
  }));
}

/** Options of {@link pruneOutbox}. */
export interface PruneOptions {
  /** Delete outbox rows older than this (only matters with `retainRows`). */
  olderThanMs: number;
  /** Delete idempotency keys older than this: a key reused after it is emitted again. */
  keysOlderThanMs: number;
}

/**
 * Retention for what emit() keeps: outbox rows (when emitters use `retainRows`, for
 * inspection) and idempotency keys. Deleting a row never loses its event: Debezium reads
 * the insert from the WAL, which the replication slot retains independently of the table,
 * and the publication ignores deletes.
 */
export async function pruneOutbox(db: pg.ClientBase | pg.Pool, options: PruneOptions) {
  const rows = await db.query(`DELETE FROM outbox WHERE created_at < now() - make_interval(secs => $1)`, [
    options.olderThanMs / 1000,
  ]);
  const keys = await db.query(
    `DELETE FROM outbox_idempotency WHERE created_at < now() - make_interval(secs => $1)`,
    [options.keysOlderThanMs / 1000],
  );
  return { rows: rows.rowCount ?? 0, keys: keys.rowCount ?? 0 };
}

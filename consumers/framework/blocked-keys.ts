import type pg from 'pg';

/** A key of a topic, as the block-key bookkeeping names it. */
export interface BlockedKey {
  topic: string;
  key: string;
  /** Offset (in `topic`) of the event whose dead letter blocked the key. */
  offset: bigint;
}

/**
 * Where a group keeps the keys it holds back in `orderingOnFailure: 'block-key'` mode. The
 * consumer loads them whenever it joins the group (start and every rebalance) and every
 * `blockedKeysRefreshMs` while it runs, and adds one before it commits the offset of the dead
 * letter that caused it.
 */
export interface BlockedKeyStore {
  load(group: string): Promise<BlockedKey[]>;
  block(group: string, entry: BlockedKey): Promise<void>;
}

/**
 * Keeps blocked keys in this process only (the default): they hold across rebalances that
 * leave the partition here, and are forgotten on restart or when the partition moves.
 */
export function memoryBlockedKeyStore(): BlockedKeyStore {
  const byGroup = new Map<string, Map<string, BlockedKey>>();
  return {
    async load(group) {
      return [...(byGroup.get(group)?.values() ?? [])];
    },
    async block(group, entry) {
      const keys = byGroup.get(group) ?? new Map<string, BlockedKey>();
      if (!keys.has(`${entry.topic}\u0000${entry.key}`)) keys.set(`${entry.topic}\u0000${entry.key}`, entry);
      byGroup.set(group, keys);
    },
  };
}

/**
 * Keeps blocked keys in Postgres (`consumer_blocked_keys`): they survive restarts and follow
 * a partition to whichever member owns it next. Release a key with {@link releaseBlockedKey}.
 *
 * @example
 * defineConsumer({ …, orderingOnFailure: 'block-key', blockedKeys: createPgBlockedKeyStore(pool) });
 */
export function createPgBlockedKeyStore(pool: Pick<pg.Pool, 'query'>): BlockedKeyStore {
  return {
    async load(group) {
      const { rows } = await pool.query<{ topic: string; record_key: string; blocked_by_offset: string }>(
        'SELECT topic, record_key, blocked_by_offset FROM consumer_blocked_keys WHERE consumer_group = $1',
        [group],
      );
      return rows.map((r) => ({ topic: r.topic, key: r.record_key, offset: BigInt(r.blocked_by_offset) }));
    },
    async block(group, { topic, key, offset }) {
      await pool.query(
        `INSERT INTO consumer_blocked_keys (consumer_group, topic, record_key, blocked_by_offset)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [group, topic, key, offset.toString()],
      );
    },
  };
}

/**
 * Releases a key blocked in Postgres (after its dead letters were replayed or discarded).
 * Running members pick the release up at their next refresh (`blockedKeysRefreshMs`, 10 s
 * by default) or when they next join the group.
 *
 * @returns whether the key was blocked.
 */
export async function releaseBlockedKey(
  pool: Pick<pg.Pool, 'query'>,
  group: string,
  topic: string,
  key: string,
): Promise<boolean> {
  const { rowCount } = await pool.query(
    'DELETE FROM consumer_blocked_keys WHERE consumer_group = $1 AND topic = $2 AND record_key = $3',
    [group, topic, key],
  );
  return rowCount === 1;
}

import type pg from 'pg';
import { deadLetterPartitions, releaseBlockedKey } from '../../consumers/framework/index.ts';
import { InvalidArgumentError } from '../../core/errors.ts';
import { deadLetterTopic, type KafkaClient, parseDeadLetterTopic, readAll } from '../../core/kafka/index.ts';

/** A key a group holds back (`block-key` ordering with the Postgres store). */
export interface BlockedKeyRow {
  group: string;
  topic: string;
  key: string;
  /** Offset (in `topic`) of the event whose dead letter blocked the key. */
  blockedByOffset: bigint;
  blockedAt: Date;
}

/** Whether the Postgres blocked-key store exists (migration 006). */
export async function hasBlockedKeyStore(db: Pick<pg.ClientBase, 'query'>): Promise<boolean> {
  const { rows } = await db.query<{ t: string | null }>(
    "SELECT to_regclass('consumer_blocked_keys')::text AS t",
  );
  return rows[0]?.t != null;
}

/** The keys groups hold back in Postgres, optionally of one group. */
export async function listBlockedKeys(
  db: Pick<pg.ClientBase, 'query'>,
  group?: string,
): Promise<BlockedKeyRow[]> {
  const { rows } = await db.query<{
    consumer_group: string;
    topic: string;
    record_key: string;
    blocked_by_offset: string;
    blocked_at: Date;
  }>(
    `SELECT consumer_group, topic, record_key, blocked_by_offset, blocked_at FROM consumer_blocked_keys
      WHERE $1::text IS NULL OR consumer_group = $1 ORDER BY consumer_group, topic, blocked_at`,
    [group ?? null],
  );
  return rows.map((r) => ({
    group: r.consumer_group,
    topic: r.topic,
    key: r.record_key,
    blockedByOffset: BigInt(r.blocked_by_offset),
    blockedAt: r.blocked_at,
  }));
}

/** Options of {@link releaseKey}. */
export interface ReleaseKeyOptions {
  group: string;
  /** The source topic (`events.booking`) or its dead-letter topic. */
  topic: string;
  key: string;
  /** Release even though dead letters of the key are still to replay. */
  force?: boolean;
}

/** What {@link releaseKey} did. */
export type ReleaseOutcome =
  | { result: 'released'; blockedByOffset: bigint }
  | { result: 'not-blocked' }
  | { result: 'refused'; pending: { partition: number; offset: bigint }[] };

/**
 * Releases a key held back by a `block-key` group (Postgres store). Refuses, unless `force`,
 * while the key still has dead letters that were not replayed: the group would then act on
 * the aggregate with a hole. Running members pick the release up at their next refresh of the
 * blocked keys (`blockedKeysRefreshMs`, 10 s by default) or when they next join.
 *
 * @throws InvalidArgumentError when the store does not exist.
 */
export async function releaseKey(
  db: Pick<pg.ClientBase, 'query'>,
  kafka: KafkaClient,
  o: ReleaseKeyOptions,
): Promise<ReleaseOutcome> {
  if (!(await hasBlockedKeyStore(db)))
    throw new InvalidArgumentError([
      'release-key: there is no blocked-key store (table consumer_blocked_keys; npm run migrate creates it). ' +
        'Groups with the in-memory store forget their blocks on restart.',
    ]);
  const source = parseDeadLetterTopic(o.topic)?.topic ?? o.topic;
  const blocked = (await listBlockedKeys(db, o.group)).find((b) => b.topic === source && b.key === o.key);
  if (!blocked) return { result: 'not-blocked' };
  if (!o.force) {
    const pending = await pendingOfKey(kafka, o.group, source, o.key);
    if (pending.length > 0) return { result: 'refused', pending };
  }
  await releaseBlockedKey(db, o.group, source, o.key);
  return { result: 'released', blockedByOffset: blocked.blockedByOffset };
}

/** Dead letters of `key` after the group's replay cursor. */
async function pendingOfKey(kafka: KafkaClient, group: string, source: string, key: string) {
  const topic = deadLetterTopic(source, group);
  const partitions = await kafka.withAdmin(async (admin) =>
    (await admin.describeTopics([topic])).length === 0 ? [] : deadLetterPartitions(admin, group, topic),
  );
  const records = await readAll(kafka, {
    ranges: partitions.map((p) => ({
      topic,
      partition: p.partition,
      from: p.high - BigInt(p.pending),
      to: p.high,
    })),
  });
  return records
    .filter((r) => r.key?.toString() === key)
    .map((r) => ({ partition: r.partition, offset: r.offset }));
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';

/** A partition's position: where the group's next read starts. */
export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/** The partitions of `assignment` for which the group has no committed offset (pure). */
export function uncommittedPartitions(
  assignment: Readonly<Record<string, readonly number[]>>,
  committed: readonly { topic: string; partitions: readonly { partition: number; offset: string }[] }[],
): { topic: string; partitions: number[] }[] {
  return Object.entries(assignment)
    .map(([topic, partitions]) => {
      const known = committed.find((c) => c.topic === topic)?.partitions ?? [];
      const has = (p: number) => {
        const offset = known.find((k) => k.partition === p)?.offset;
        return offset !== undefined && /^\d+$/.test(offset);
      };
      return { topic, partitions: partitions.filter((p) => !has(p)) };
    })
    .filter((t) => t.partitions.length > 0);
}

/**
 * Where each uncommitted partition starts (pure): the first offset the topic still holds
 * (`fromBeginning`) or its end, as kafkajs would resolve them (auto.offset.reset).
 *
 * @throws Error when the offsets of a partition are missing (its topic's metadata is stale).
 */
export function startPositions(
  uncommitted: readonly { topic: string; partitions: readonly number[] }[],
  offsets: Readonly<Record<string, readonly { partition: number; low: string; high: string }[]>>,
  fromBeginning: boolean,
): PartitionOffset[] {
  return uncommitted.flatMap(({ topic, partitions }) =>
    partitions.map((partition) => {
      const o = offsets[topic]?.find((x) => x.partition === partition);
      if (!o) throw new Error(`no offsets for ${topic}/${partition}`);
      return { topic, partition, offset: fromBeginning ? o.low : o.high };
    }),
  );
}

/** What {@link createStartPositions} needs. */
export interface StartPositionsOptions {
  kafka: Kafka;
  group: string;
  fromBeginning: boolean;
  logger: Logger;
  /** Called with each failure, so the runner can react to the end of its generation. */
  onError(error: unknown): void;
}

/**
 * Commits the start position of every newly assigned partition that has no committed offset.
 *
 * kafkajs resolves such a partition (auto.offset.reset) when the member first fetches, keeps
 * the result in memory and commits nothing until a record is handled. A group with
 * `fromBeginning: false` that stops before handling anything on a partition therefore starts
 * over at the *new* end the next time, skipping whatever was written in between. Committing
 * the resolved position right away, and seeking the consumer to exactly that offset, makes a
 * new group start at the end once and resume from there ever after.
 */
export function createStartPositions(o: StartPositionsOptions) {
  let admin: Admin | undefined;

  async function connected(): Promise<Admin> {
    if (!admin) {
      const a = o.kafka.admin();
      await a.connect();
      admin = a;
    }
    return admin;
  }

  async function commitOnce(
    consumer: Consumer,
    assignment: Record<string, number[]>,
    current: () => boolean,
  ) {
    const topics = Object.keys(assignment).filter((t) => assignment[t]!.length > 0);
    if (topics.length === 0) return [];
    const a = await connected();
    const committed = await a.fetchOffsets({ groupId: o.group, topics });
    const uncommitted = uncommittedPartitions(assignment, committed);
    if (uncommitted.length === 0) return [];
    const offsets = Object.fromEntries(
      await Promise.all(uncommitted.map(async (u) => [u.topic, await a.fetchTopicOffsets(u.topic)] as const)),
    );
    const starts = startPositions(uncommitted, offsets, o.fromBeginning);
    // Within this member's generation: the broker refuses it from a member that is fenced.
    await consumer.commitOffsets(starts);
    // kafkajs returns without committing when its runner is not (yet, or any more) running.
    const after = await a.fetchOffsets({ groupId: o.group, topics: uncommitted.map((u) => u.topic) });
    const missing = uncommittedPartitions(
      Object.fromEntries(uncommitted.map((u) => [u.topic, u.partitions])),
      after,
    );
    if (missing.length > 0) throw new Error(`start positions not committed: ${JSON.stringify(missing)}`);
    // kafkajs may already have resolved (and fetched from) a later end: read from the commit.
    if (current()) for (const s of starts) consumer.seek(s);
    return starts;
  }

  /** Retries `commitOnce` while `current()` holds; false when it stopped holding first. */
  async function commit(
    consumer: Consumer,
    assignment: Record<string, number[]>,
    current: () => boolean,
  ): Promise<boolean> {
    for (let attempt = 1; current(); attempt++) {
      try {
        const starts = await commitOnce(consumer, assignment, current);
        if (starts.length > 0) {
          o.logger.info(
            { partitions: starts.map((s) => `${s.topic}/${s.partition}@${s.offset}`) },
            'committed the start positions of new partitions',
          );
        }
        return current();
      } catch (e) {
        o.onError(e);
        if (!current()) break;
        o.logger.warn({ err: e, attempt }, 'cannot commit start positions yet; retrying');
        await sleep(Math.min(5_000, 100 * 2 ** attempt));
      }
    }
    return false;
  }

  // The latest generation: its epoch (the runner's), and whether its positions are committed.
  let generation = { epoch: -1, ok: false as boolean | undefined, done: Promise.resolve(false) };

  return {
    /**
     * The member joined generation `epoch` with `assignment`: commits the start positions of
     * its uncommitted partitions (and seeks the consumer to them) in the background, retrying
     * with backoff while `current()` holds (the generation lasts, the consumer is not stopping).
     */
    joined(
      consumer: Consumer,
      assignment: Record<string, number[]>,
      epoch: number,
      current: () => boolean,
    ): void {
      const g = { epoch, ok: undefined as boolean | undefined, done: Promise.resolve(false) };
      g.done = commit(consumer, assignment, current).then((ok) => {
        g.ok = ok;
        return ok;
      });
      generation = g;
    },

    /** Whether generation `epoch` has the start positions of all its partitions committed. */
    committedFor(epoch: number): boolean {
      return generation.epoch === epoch && generation.ok === true;
    },

    /**
     * For a batch of the latest generation: waits, heartbeating every `tickMs`, until its start
     * positions are committed. False when the batch must not run: the generation ended first,
     * or `stopping()` turned true.
     */
    async settled(heartbeat: () => Promise<void>, stopping: () => boolean, tickMs: number): Promise<boolean> {
      const g = generation;
      // Settled already (every batch after the first of a generation): no timer, no wait.
      let done = g.ok;
      const settled = g.done.then((ok) => {
        done = ok;
      });
      while (done === undefined) {
        await Promise.race([settled, sleep(tickMs)]);
        if (done !== undefined) break;
        try {
          await heartbeat();
        } catch (e) {
          o.onError(e);
        }
        if (stopping()) return false;
      }
      // A seek to the committed start makes the batch stale (stopping): kafkajs fetches again.
      return done && !stopping();
    },

    async close(): Promise<void> {
      const a = admin;
      admin = undefined;
      await a?.disconnect().catch(() => {});
    },
  };
}

/** What {@link createStartPositions} returns. */
export type StartPositions = ReturnType<typeof createStartPositions>;

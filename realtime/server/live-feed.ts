import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { KafkaAdmin, RangeReader, ReadRange } from '../../core/kafka/index.ts';
import type { RecordRouter } from './decode-record.ts';
import type { RoutedRecord } from './router.ts';

/** The node's positions, which the live feed starts, reads from and moves (the hub). */
export interface FeedPositions {
  /** Sets where the node starts a partition (once per partition). */
  startAt(topic: string, partition: number, offset: bigint): void;
  /** The next offset the node dispatches in a partition. */
  positionAt(topic: string, partition: number): bigint | undefined;
  /** How many partitions of a topic the node reads. */
  partitionCount(topic: string): number;
  /** Hands on one record, in partition order; moves the partition's position past it. */
  dispatch(record: RoutedRecord): void;
}

/** Options of {@link createLiveFeed}. */
export interface LiveFeedOptions {
  reader: RangeReader;
  admin: Pick<KafkaAdmin, 'partitionBounds' | 'describeTopics'>;
  topics: readonly string[];
  routeRecord: RecordRouter;
  positions: FeedPositions;
  logger: Logger;
  /** How long one fetch waits for records (ms); default 50. */
  maxWaitMs?: number;
  /** How often the topics' partition counts are checked for added partitions (ms); default 30 s. */
  partitionCheckMs?: number;
  /** Backoff between restarts of a read that failed (ms); default 200, doubling up to 10 s. */
  retry?: { initialMs: number; maxMs: number };
}

/**
 * The node's live read. Every node reads every partition of the event topics, group-less,
 * from the end of the log at start, never committing: positions live in clients' tokens, not
 * in Kafka. It is one follow read of the port's range reader, from the node's own positions;
 * each batch is dispatched as soon as it arrives. A broker outage is waited out inside the
 * read. When the read ends or fails anyway (a record whose decoding failed for a transient
 * reason, such as the registry being unreachable, included), it is started again from the
 * node's positions, with capped backoff: nothing is skipped, nothing is dispatched twice.
 * Partitions added to a topic are followed from offset 0 once a periodic check sees them.
 */
export function createLiveFeed(options: LiveFeedOptions) {
  const { reader, admin, topics, routeRecord, positions, logger } = options;
  const maxWaitMs = options.maxWaitMs ?? 50;
  const retry = options.retry ?? { initialMs: 200, maxMs: 10_000 };
  const stopping = new AbortController();
  let reshape: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let checker: NodeJS.Timeout | undefined;
  let checking = false;
  /** What the read is waiting out, or why it is being restarted; undefined while it reads. */
  let degraded: string | undefined;

  const onDegraded = (reason: string | undefined) => {
    if (reason !== undefined) logger.warn({ reason }, 'live read waiting for Kafka');
    else if (degraded !== undefined) logger.info('live read fetching again');
    degraded = reason;
  };

  function ranges(): ReadRange[] {
    return topics.flatMap((topic) =>
      Array.from({ length: positions.partitionCount(topic) }, (_, partition) => ({
        topic,
        partition,
        from: positions.positionAt(topic, partition) ?? 0n,
      })),
    );
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping.signal.aborted) {
      const current = new AbortController();
      reshape = current;
      let error: unknown;
      try {
        const signal = AbortSignal.any([stopping.signal, current.signal]);
        for await (const batch of reader.read({ ranges: ranges(), signal, maxWaitMs, onDegraded })) {
          for (const record of batch.records) positions.dispatch(await routeRecord(record));
          failures = 0;
        }
      } catch (e) {
        error = e;
      }
      if (stopping.signal.aborted) return;
      // Aborted to take in added partitions: read again at once, with them.
      if (current.signal.aborted && error === undefined) continue;
      failures++;
      const delayMs = Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(failures - 1, 20));
      degraded =
        error === undefined ? 'the live read ended' : `the live read failed: ${(error as Error).message}`;
      logger.warn(
        { err: error, failures, restartInMs: delayMs },
        error === undefined
          ? 'live read ended: restarting it from the node positions'
          : 'live read failed: restarting it from the node positions',
      );
      await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => {});
      // The next read reports what it waits for by itself.
      degraded = undefined;
    }
  }

  /** Follows partitions the topics gained since the node started, from their first offset. */
  async function checkPartitions(): Promise<void> {
    if (checking) return;
    checking = true;
    try {
      const added: string[] = [];
      for (const { topic, partitions } of await admin.describeTopics(topics)) {
        for (let p = positions.partitionCount(topic); p < partitions; p++) {
          // Everything in a partition added while the node runs is new to it.
          positions.startAt(topic, p, 0n);
          added.push(`${topic}/${p}`);
        }
      }
      if (added.length > 0) {
        logger.info({ partitions: added }, 'following partitions added to the event topics');
        reshape?.abort();
      }
    } catch (e) {
      logger.warn({ err: e }, 'could not check the event topics for added partitions');
    } finally {
      checking = false;
    }
  }

  return {
    /** Starts at the current end of every partition; resolves once the read is under way. */
    async start(): Promise<void> {
      for (const topic of topics) {
        for (const { partition, high } of await admin.partitionBounds(topic)) {
          positions.startAt(topic, partition, high);
        }
      }
      loop = run();
      checker = setInterval(() => void checkPartitions(), options.partitionCheckMs ?? 30_000);
      checker.unref();
      logger.info({ topics }, 'live feed started');
    },

    /** What the live read is waiting out (a broker, a restart); undefined while it reads. */
    degraded(): string | undefined {
      return degraded;
    },

    /** Ends the read; resolves once no record is being dispatched any more. */
    async stop(): Promise<void> {
      clearInterval(checker);
      stopping.abort();
      await loop;
    },
  };
}

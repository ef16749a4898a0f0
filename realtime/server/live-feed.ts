import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { waitFor } from '../../core/wait.ts';
import type { RecordRouter } from './decode-record.ts';
import type { RoutedRecord } from './router.ts';

/** Options of {@link createLiveFeed}. */
export interface LiveFeedOptions {
  kafka: Kafka;
  /** A group id of this node alone: the node is its only member, so it gets every partition. */
  groupId: string;
  topics: readonly string[];
  routeRecord: RecordRouter;
  /** Where to start a partition that has no position yet (called once per partition). */
  startAt: (topic: string, partition: number, offset: number) => void;
  /** The next offset to read in a partition, once started. */
  positionAt: (topic: string, partition: number) => number | undefined;
  dispatch: (record: RoutedRecord) => void;
  logger: Logger;
}

/**
 * The node's live consumer. Every node reads every partition of the event topics (its own
 * consumer group, of which it is the only member), from the end of the log at start, never
 * committing: positions live in clients' tokens, not in Kafka. After any (re)join it seeks each
 * partition to the node's own position, so a rejoin never skips or repeats records.
 */
export function createLiveFeed(options: LiveFeedOptions) {
  const { kafka, groupId, topics, logger } = options;
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 20, sessionTimeout: 30_000 });
  let joined = false;

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
      for (const partition of partitions) {
        const at = options.positionAt(topic, partition);
        // A partition added after start: everything in it is new to this node.
        if (at === undefined) options.startAt(topic, partition, 0);
        consumer.seek({ topic, partition, offset: String(at ?? 0) });
      }
    }
    joined = true;
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    logger.error({ err: payload.error, restart: payload.restart }, 'live consumer crashed');
  });

  return {
    /** Starts at the current end of every partition and resolves once the group is joined. */
    async start(): Promise<void> {
      const admin = kafka.admin();
      await admin.connect();
      try {
        for (const topic of topics) {
          for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
            options.startAt(topic, partition, Number(high));
          }
        }
      } finally {
        await admin.disconnect();
      }
      await consumer.connect();
      await consumer.subscribe({ topics: [...topics] });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
          for (const message of batch.messages) {
            if (!isRunning() || isStale()) return;
            const record = await options.routeRecord(batch.topic, batch.partition, message);
            options.dispatch(record);
            resolveOffset(message.offset);
          }
        },
      });
      await waitFor(() => joined, { timeoutMs: 60_000, what: `live consumer ${groupId} to join` });
      logger.info({ groupId, topics }, 'live feed started');
    },

    /** Leaves the group and deletes it (it holds no offsets; best effort). */
    async stop(): Promise<void> {
      await consumer.disconnect().catch(() => {});
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.deleteGroups([groupId]);
      } catch (e) {
        logger.debug({ err: e, groupId }, 'could not delete the live group (it expires on its own)');
      } finally {
        await admin.disconnect().catch(() => {});
      }
    },
  };
}

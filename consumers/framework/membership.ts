import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isOutstreamError } from '../../core/errors.ts';
import {
  type GroupConsumer,
  type GroupListener,
  type KafkaAdmin,
  type PartitionBounds,
  type PartitionOffset,
  partitionsByTopic,
  partitionsIn,
  type TopicPartition,
} from '../../core/kafka/index.ts';
import type { BatchLoop } from './batch-loop.ts';
import { commitTimedOut } from './bounded-commit.ts';
import type { ConsumerInstrumentation } from './instrumentation.ts';
import type { ConsumerMetrics } from './metrics.ts';
import { startPositions, uncommittedPartitions } from './start-positions.ts';

/** What {@link createMembership} needs. */
export interface MembershipDeps {
  group: string;
  /** The member (built after the listener, which it takes). */
  consumer: () => GroupConsumer;
  /** The member's commit, bounded in time (`boundedCommit`). */
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
  admin: KafkaAdmin;
  loop: BatchLoop;
  fromBeginning: boolean;
  logger: Logger;
  events: ConsumerInstrumentation;
  metrics: ConsumerMetrics;
  /** Partitions just moved here: the keys their last owner blocked are reloaded. */
  onAssigned(): void;
  /** True once the consumer is stopping (revocations then are a shutdown, not a rebalance). */
  closing(): boolean;
}

/**
 * The consumer's side of group membership, as the port's listener. On assignment it reads
 * the group's committed offsets, commits the start position of every partition without one
 * (the first offset held with `fromBeginning`, else the log end: a new group stopped before it
 * handled anything resumes from there, never from a later end), seeks each partition there
 * and hands it to the batch loop. On revocation the loop drains and commits before the
 * listener resolves; a lost partition is dropped without a commit.
 */
export function createMembership(deps: MembershipDeps): GroupListener {
  const { group, logger, events, loop } = deps;

  async function positions(partitions: readonly TopicPartition[]): Promise<PartitionOffset[]> {
    const consumer = deps.consumer();
    const committed = await consumer.committed(partitions);
    const missing = uncommittedPartitions(partitions, committed);
    if (missing.length === 0) return committed;
    const topics = [...new Set(missing.map((p) => p.topic))];
    const bounds = new Map<string, PartitionBounds[]>(
      await Promise.all(topics.map(async (t) => [t, await deps.admin.partitionBounds(t)] as const)),
    );
    const starts = startPositions(missing, bounds, deps.fromBeginning);
    // In this member's generation: refused if it was fenced meanwhile.
    await deps.commit(starts);
    logger.info(
      { partitions: starts.map((s) => `${s.topic}/${s.partition}@${s.offset}`) },
      'committed the start positions of new partitions',
    );
    return [...committed, ...starts];
  }

  const owned = (partitions: readonly TopicPartition[]) =>
    partitionsIn(partitions, deps.consumer().assignment());

  return {
    async assigned(partitions) {
      deps.onAssigned();
      // Never thrown: retried while the partitions are still this member's.
      for (let attempt = 1; ; attempt++) {
        const still = attempt === 1 ? partitions : owned(partitions);
        if (still.length === 0 || deps.closing()) return;
        try {
          const at = await positions(still);
          for (const p of at) deps.consumer().seek(p);
          loop.assign(at);
          break;
        } catch (e) {
          // The assignment is already stale: the group is rebalancing (and the client rejoins),
          // and the next assignment comes through here again. Retrying would hold the member's
          // queue of assignment changes, which that rejoin waits for (issue 12's hang).
          if (isRebalancing(e)) {
            logger.warn({ err: e }, 'the group is rebalancing; leaving this assignment to the next one');
            return;
          }
          logger.warn({ err: e, attempt }, 'cannot set the positions of assigned partitions yet; retrying');
          await sleep(Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)));
        }
      }
      const consumer = deps.consumer();
      const assignment = partitionsByTopic(consumer.assignment());
      logger.info({ memberId: consumer.health().memberId, assignment }, 'partitions assigned');
      events.emit('joined', { memberId: consumer.health().memberId ?? '', assignment });
    },

    async revoked(partitions) {
      if (!deps.closing()) {
        deps.metrics.rebalances.inc({ group });
        logger.info({ partitions: partitionsByTopic(partitions) }, 'partitions revoked; draining');
        events.emit('rebalancing', { reason: 'revoked' });
      }
      await loop.revoke(partitions);
    },

    lost(partitions) {
      logger.warn(
        { partitions: partitionsByTopic(partitions) },
        'partitions lost (fenced); their work is not committed',
      );
      deps.metrics.rebalances.inc({ group });
      events.emit('rebalancing', { reason: 'lost' });
      loop.lose(partitions);
    },
  };
}

// Broker answers that mean "this member's generation or epoch is over", and a commit that did
// not settle (platformatic's classic client waits for a rejoin inside it).
const rebalancingCodes = new Set([
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'REBALANCE_IN_PROGRESS',
  'FENCED_INSTANCE_ID',
  'FENCED_MEMBER_EPOCH',
  'STALE_MEMBER_EPOCH',
  commitTimedOut,
]);

function isRebalancing(e: unknown): boolean {
  const code = isOutstreamError(e) ? (e as { kafkaCode?: unknown }).kafkaCode : undefined;
  return typeof code === 'string' && rebalancingCodes.has(code);
}

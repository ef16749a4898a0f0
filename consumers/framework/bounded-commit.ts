import { KafkaError } from '../../core/errors.ts';
import type { PartitionOffset } from '../../core/kafka/index.ts';

/**
 * A commit that does not settle within `timeoutMs` is reported failed (and retried by its
 * caller), whatever the client still does with it. Issue 12's hang: platformatic's classic
 * consumer answers a commit refused with UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION /
 * REBALANCE_IN_PROGRESS by rejoining the group *inside* `commit()` and waiting for the join;
 * the join's `protocolsMetadata` hook waits for this member's revocation, and the revocation
 * waits for its commit, which the batch loop queues behind the stuck one — a cycle nothing
 * broke (last line "partitions revoked; draining", then silence while the lag grew). A late
 * commit that still lands afterwards carries offsets that had all finished: at worst a restart
 * redelivers events, it never skips one.
 */
export function boundedCommit(
  commit: (offsets: readonly PartitionOffset[]) => Promise<void>,
  timeoutMs: number,
): (offsets: readonly PartitionOffset[]) => Promise<void> {
  return (offsets) => {
    const attempt = commit(offsets);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new KafkaError(
              `offset commit did not settle within ${timeoutMs} ms (the member may be rejoining)`,
              {
                retriable: true,
                kafkaCode: commitTimedOut,
              },
            ),
          ),
        timeoutMs,
      );
    });
    // Its own failure after the deadline is of no interest to anyone.
    attempt.catch(() => {});
    return Promise.race([attempt, late]).finally(() => clearTimeout(timer));
  };
}

/** The `kafkaCode` of a commit {@link boundedCommit} gave up waiting for. */
export const commitTimedOut = 'COMMIT_TIMED_OUT';

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, consumerGroupHeartbeatV1, offsetFetchV9 } from '@platformatic/kafka';
import { partitionKey, partitionsByTopic, withoutPartitions } from '../partitions.ts';
import type { GroupConsumerOptions, MemberState } from '../port.ts';
import type { PartitionOffset, TopicPartition } from '../types.ts';
import { commitOffsets, GroupCoordinator, withCoordinatorRetry } from './coordinator.ts';
import type { Membership, MembershipHooks } from './membership.ts';
import { baseOptions, type ConnectionOptions, call, kafkaCodeOf, kafkaError } from './options.ts';
import { TopicIds } from './topic-ids.ts';

type Heartbeat = Awaited<ReturnType<typeof consumerGroupHeartbeatV1.api.async>>;
type Assignment = NonNullable<Heartbeat['assignment']>['topicPartitions'];

// The member lost its membership (expired, or fenced for not revoking in time): rejoin at 0.
const fencedCodes = new Set(['FENCED_MEMBER_EPOCH', 'UNKNOWN_MEMBER_ID']);
const idleBeatMs = 1_000;
const backoff = (failures: number) => Math.min(5_000, 100 * 2 ** Math.min(failures, 6));

/**
 * Kafka 4's consumer group protocol (KIP-848) on the client's raw protocol APIs. The broker
 * assigns; the member heartbeats at the broker's interval with what it owns, and an answer
 * that drops partitions is acknowledged (the next heartbeat leaves them out) only once
 * `hooks.revoked` resolved — only then may the broker hand them to another member.
 * Platformatic's own path acknowledges right after an autocommit, without the application,
 * which would let two members handle one key at once.
 */
export function consumerMembership(
  connection: ConnectionOptions,
  o: GroupConsumerOptions,
  hooks: MembershipHooks,
): { membership: Membership; client: Consumer } {
  // Fetches and reads metadata only: this client never joins the group itself.
  const client = new Consumer({ ...baseOptions(connection, `group-${o.groupId}`), groupId: o.groupId });
  const coordinator = new GroupCoordinator(connection, o.groupId);
  const topicIds = new TopicIds(client, o.topics);
  // KIP-1082 (ConsumerGroupHeartbeat v1): the member names itself, once for its whole life.
  const memberId = randomUUID();
  const rebalanceTimeoutMs = o.rebalanceTimeoutMs ?? 60_000;
  let epoch = 0;
  let owned: TopicPartition[] = [];
  // Owned partitions the member was fenced from, until `hooks.lost` took them away.
  let abandoned: TopicPartition[] = [];
  let target: Assignment | undefined;
  let fences = 0;
  let state: MemberState = 'idle';
  let degraded: string | undefined;
  let failures = 0;
  let beating = true;
  let wake: (() => void) | undefined;
  let firstAssignment: (() => void) | undefined;

  let changes = Promise.resolve();
  const enqueue = (fn: () => Promise<void>) => {
    changes = changes.then(fn).catch((e: unknown) => {
      degraded = kafkaError(`membership of ${o.groupId}`, e).message;
    });
    return changes;
  };
  // A change to acknowledge: the next heartbeat goes at once, or right after the one in flight.
  let urgent = false;
  let lastBeatAt = Date.now();
  // The broker's group.consumer.session.timeout.ms (45 s by default; read-only for clients).
  const sessionTimeoutMs = o.sessionTimeoutMs ?? 45_000;
  const beatNow = () => {
    urgent = true;
    wake?.();
  };

  async function beat(): Promise<number> {
    urgent = false;
    const reporting = epoch === 0 ? [] : withoutPartitions(owned, abandoned);
    try {
      const response = await coordinator.send(async (c) =>
        consumerGroupHeartbeatV1.api.async(
          c,
          o.groupId,
          memberId,
          epoch,
          null,
          null,
          rebalanceTimeoutMs,
          [...o.topics],
          null,
          null,
          await topicIds.toIds(reporting),
        ),
      );
      failures = 0;
      lastBeatAt = Date.now();
      degraded = undefined;
      epoch = response.memberEpoch;
      if (response.assignment) {
        target = response.assignment.topicPartitions;
        void reconcile();
      }
      const interval = response.heartbeatIntervalMs > 0 ? response.heartbeatIntervalMs : 5_000;
      // A member with nothing asks again sooner: a topic created a moment ago may reach the
      // coordinator after the join, and the answer that brings its partitions is the next one.
      const idle = owned.length === 0 && (target ?? []).every((t) => t.partitions.length === 0);
      return idle ? Math.min(interval, idleBeatMs) : interval;
    } catch (e) {
      if (!beating) return 0;
      if (fencedCodes.has(kafkaCodeOf(e) ?? '')) {
        fenced();
        return 0;
      }
      failures++;
      degraded = kafkaError(`heartbeat of group ${o.groupId}`, e).message;
      // Past the session timeout the broker has expired this member and may have handed its
      // partitions to another: stop working on them now, not when the broker is reachable again.
      if (owned.length > 0 && Date.now() - lastBeatAt > sessionTimeoutMs) fenced();
      return backoff(failures);
    }
  }

  function fenced(): void {
    fences++;
    epoch = 0;
    target = undefined;
    abandoned = [...owned];
    state = 'joining';
    void enqueue(async () => {
      const lost = owned;
      owned = [];
      abandoned = [];
      if (lost.length > 0) hooks.lost(lost);
    });
  }

  // Moves what the member owns to the latest target, one hook at a time: revocations first
  // (acknowledged by the next heartbeat, sent at once), then additions.
  function reconcile(): Promise<void> {
    return enqueue(async () => {
      const fence = fences;
      const current = () => fence === fences && beating && state !== 'closing';
      while (target && current()) {
        const wanted = await translate(target, current);
        if (!wanted || !current()) return;
        const dropped = withoutPartitions(owned, wanted);
        const added = withoutPartitions(wanted, owned);
        if (dropped.length > 0) {
          state = 'revoking';
          hooks.rebalancing();
          // An owner that failed to finish gives the partitions up all the same: the next
          // member reads from the last commit (re-delivery, never loss).
          await hooks.revoked(dropped).catch((e: unknown) => {
            degraded = kafkaError(`revoking partitions of ${o.groupId}`, e).message;
          });
          owned = withoutPartitions(owned, dropped);
        } else if (added.length > 0) {
          owned = [...owned, ...added];
          try {
            await hooks.assigned(added);
          } catch (e) {
            // Not taken on (no position set): offered to the owner again after a pause.
            degraded = kafkaError(`assigning partitions of ${o.groupId}`, e).message;
            owned = withoutPartitions(owned, added);
            await sleep(backoff(3));
          }
        } else {
          break;
        }
        beatNow();
      }
      if (current()) state = 'stable';
      firstAssignment?.();
    });
  }

  // Topic ids to names; metadata that cannot be read is waited out (the answer is not resent).
  async function translate(assignment: Assignment, current: () => boolean) {
    for (let attempt = 1; current(); attempt++) {
      try {
        return await topicIds.toPartitions(assignment);
      } catch (e) {
        degraded = kafkaError(`topic ids of group ${o.groupId}`, e).message;
        await sleep(backoff(attempt));
      }
    }
    return undefined;
  }

  let beatLoop: Promise<void> = Promise.resolve();
  async function loop(): Promise<void> {
    while (beating) {
      const delay = await beat();
      if (!beating) return;
      if (urgent) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  const membership: Membership = {
    async start() {
      state = 'joining';
      const joined = new Promise<void>((resolve) => {
        firstAssignment = resolve;
      });
      beatLoop = loop();
      await joined;
      await changes;
    },
    async commit(offsets: readonly PartitionOffset[]) {
      if (offsets.length === 0) return;
      await call(`commit offsets of ${o.groupId}`, () =>
        commitOffsets(coordinator, { groupId: o.groupId, generation: epoch, memberId }, offsets),
      );
    },
    async committed(partitions) {
      if (partitions.length === 0) return [];
      const group = {
        groupId: o.groupId,
        memberId: null,
        memberEpoch: -1,
        topics: Object.entries(partitionsByTopic(partitions)).map(([name, partitionIndexes]) => ({
          name,
          partitionIndexes,
        })),
      };
      const response = await call(`committed offsets of ${o.groupId}`, () =>
        withCoordinatorRetry(() => coordinator.send((c) => offsetFetchV9.api.async(c, [group], false))),
      );
      const found = new Map<string, bigint>();
      for (const t of response.groups[0]?.topics ?? []) {
        for (const p of t.partitions) {
          found.set(partitionKey({ topic: t.name, partition: p.partitionIndex }), p.committedOffset);
        }
      }
      return partitions.flatMap((p) => {
        const offset = found.get(partitionKey(p));
        return offset === undefined || offset < 0n ? [] : [{ ...p, offset }];
      });
    },
    assignment: () => withoutPartitions(owned, abandoned),
    state: () => state,
    memberId: () => (epoch > 0 ? memberId : undefined),
    degraded: () => degraded,
    async close() {
      state = 'closing';
      // A start still waiting for its first assignment ends with the member.
      firstAssignment?.();
      await enqueue(async () => {
        // Still reported as owned while the owner drains: the group must not hand them on yet.
        const revoked = withoutPartitions(owned, abandoned);
        if (revoked.length > 0) await hooks.revoked(revoked).catch(() => {});
        owned = [];
      });
      beating = false;
      beatNow();
      await beatLoop;
      // Epoch -1: leave, releasing whatever the group still counts as ours at once.
      if (epoch > 0) {
        await coordinator
          .send((c) =>
            consumerGroupHeartbeatV1.api.async(c, o.groupId, memberId, -1, null, null, 0, [], null, null, []),
          )
          .catch(() => {});
      }
      await Promise.all([coordinator.close(), client.close(true).catch(() => {})]);
      state = 'closed';
    },
  };
  return { membership, client };
}

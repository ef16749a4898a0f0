import { Consumer } from '@platformatic/kafka';
import { partitionsByTopic, withoutPartitions } from '../partitions.ts';
import type { GroupConsumerOptions, MemberState } from '../port.ts';
import type { PartitionOffset, TopicPartition } from '../types.ts';
import { commitOffsets, GroupCoordinator } from './coordinator.ts';
import type { Membership, MembershipHooks } from './membership.ts';
import { baseOptions, type ConnectionOptions, call, kafkaError } from './options.ts';

/**
 * The classic group protocol (JoinGroup/SyncGroup, eager: a rebalance revokes everything)
 * on platformatic's consumer. Its `protocolsMetadata` hook runs before every JoinGroup the
 * member sends — first join, rebalance, rejoin after fencing — and may be async: that is
 * where the member revokes what it owns and waits for the owner to drain and commit, so no
 * other member is handed a partition while work on it is still in flight here.
 */
export function classicMembership(
  connection: ConnectionOptions,
  o: GroupConsumerOptions,
  hooks: MembershipHooks,
): { membership: Membership; client: Consumer } {
  let owned: TopicPartition[] = [];
  let state: MemberState = 'idle';
  let joinFailure: string | undefined;
  // Assignment changes reach the hooks one at a time, in the order the group made them.
  let changes = Promise.resolve();
  const enqueue = (fn: () => Promise<void>) => {
    changes = changes.then(fn, fn);
    return changes;
  };

  const coordinator = new GroupCoordinator(connection, o.groupId);
  const client = new Consumer({
    ...baseOptions(connection, `group-${o.groupId}`),
    groupId: o.groupId,
    groupProtocol: 'classic',
    autocommit: false,
    sessionTimeout: o.sessionTimeoutMs ?? 30_000,
    rebalanceTimeout: o.rebalanceTimeoutMs ?? 60_000,
    heartbeatInterval: o.heartbeatIntervalMs ?? 3_000,
    maxWaitTime: o.maxWaitMs ?? 100,
    protocolsMetadata: () =>
      enqueue(async () => {
        const revoked = owned;
        owned = [];
        if (revoked.length > 0) {
          state = 'revoking';
          await hooks.revoked(revoked);
        }
        state = 'joining';
      }).then(() => Buffer.alloc(0)),
  });
  client.on('consumer:group:rebalance', () => hooks.rebalancing());
  client.on('consumer:group:join', ({ assignments }) => {
    const next = (assignments ?? []).flatMap((a) =>
      a.partitions.map((partition) => ({ topic: a.topic, partition })),
    );
    void enqueue(async () => {
      // Eager: the join hook revoked everything, so all of it is new (kept ones included).
      const gained = withoutPartitions(next, owned);
      owned = next;
      state = 'stable';
      joinFailure = undefined;
      if (gained.length > 0) await hooks.assigned(gained);
    });
  });
  client.on('error', (e: unknown) => {
    // A rejoin that failed for good: the member keeps nothing and joins again from scratch.
    joinFailure = kafkaError('rejoin failed', e).message;
    const lost = owned;
    owned = [];
    if (lost.length > 0) hooks.lost(lost);
    if (state !== 'closing' && state !== 'closed') void rejoin();
  });

  // Read through a function: the closures above change `state` while start() waits.
  const closing = () => state === 'closing' || state === 'closed';

  let rejoining = false;
  async function rejoin(attempt = 1): Promise<void> {
    if (rejoining) return;
    rejoining = true;
    try {
      for (let a = attempt; !closing(); a++) {
        try {
          state = 'joining';
          await client.joinGroup({});
          return;
        } catch (e) {
          joinFailure = kafkaError('join failed', e).message;
          await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** Math.min(a, 5))));
        }
      }
    } finally {
      rejoining = false;
    }
  }

  const membership: Membership = {
    async start() {
      state = 'joining';
      client.topics.trackAll(...o.topics);
      // A join that fails for a reason that passes (the coordinator loading or moving after a
      // broker restart) is retried by this same client, under the member id the group gave it.
      // Given up and started again by a new client, the abandoned member id stayed in the group
      // until its session expired (its LeaveGroup failed too, the coordinator still loading),
      // and the next rebalance waited 30 s for it (test:cluster, members fault). The owner
      // bounds the whole start (the runner's startTimeoutMs) and closes the member after it.
      for (let attempt = 1; ; attempt++) {
        try {
          await client.joinGroup({});
          break;
        } catch (cause) {
          const e = kafkaError(`join group ${o.groupId}`, cause);
          if (!e.retriable || closing()) throw e;
          joinFailure = e.message;
          await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** Math.min(attempt, 5))));
          if (closing()) throw e;
        }
      }
      // The join event's assignment goes through the hooks before start resolves.
      await changes;
    },
    async commit(offsets: readonly PartitionOffset[]) {
      if (offsets.length === 0) return;
      // Not `client.commit()`: refused by a group that dropped this member, it rejoins inside
      // the commit and waits for the rejoin, whose protocolsMetadata hook waits for the
      // revocation, whose own commit waits behind the first: a hang (issue 12). Sent as is, a
      // stale generation is refused at once and the heartbeat rejoins.
      await call(`commit offsets of ${o.groupId}`, () =>
        commitOffsets(
          coordinator,
          { groupId: o.groupId, generation: client.generationId, memberId: client.memberId ?? '' },
          offsets,
        ),
      );
    },
    async committed(partitions) {
      if (partitions.length === 0) return [];
      const offsets = await call(`committed offsets of ${o.groupId}`, () =>
        client.listCommittedOffsets({
          topics: Object.entries(partitionsByTopic(partitions)).map(([topic, ps]) => ({
            topic,
            partitions: ps,
          })),
        }),
      );
      return partitions.flatMap((p) => {
        const offset = offsets.get(p.topic)?.[p.partition];
        return offset === undefined || offset < 0n ? [] : [{ ...p, offset }];
      });
    },
    assignment: () => [...owned],
    state: () => state,
    memberId: () => client.memberId ?? undefined,
    degraded: () => joinFailure,
    async close() {
      state = 'closing';
      try {
        await enqueue(async () => {
          const revoked = owned;
          owned = [];
          if (revoked.length > 0) await hooks.revoked(revoked);
        });
      } finally {
        // An owner that failed to finish must not keep the member's connections open.
        await client.close().catch(() => {});
        await coordinator.close();
        state = 'closed';
      }
    },
  };
  return { membership, client };
}

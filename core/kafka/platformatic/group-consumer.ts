import { partitionsIn } from '../partitions.ts';
import type { GroupConsumer, GroupConsumerOptions } from '../port.ts';
import { classicMembership } from './classic-membership.ts';
import { consumerMembership } from './consumer-membership.ts';
import { defaultFetchBytes, PartitionFetcher } from './fetcher.ts';
import type { Membership, MembershipHooks } from './membership.ts';
import type { ConnectionOptions } from './options.ts';

/**
 * A group member: a membership of the chosen protocol decides what this member owns; a
 * fetcher reads the owned partitions from the positions the owner sets. A partition is
 * fetched only once `listener.assigned` resolved for it and dropped from fetching as soon as
 * its revocation starts (the owner drains what it already has).
 */
export function createGroupConsumer(connection: ConnectionOptions, o: GroupConsumerOptions): GroupConsumer {
  let fetcher: PartitionFetcher;
  const hooks: MembershipHooks = {
    rebalancing: () => {},
    async assigned(partitions) {
      await o.listener.assigned(partitions);
    },
    async revoked(partitions) {
      fetcher.setPaused(partitions, true);
      try {
        await o.listener.revoked(partitions);
      } finally {
        for (const p of partitions) fetcher.remove(p);
      }
    },
    lost(partitions) {
      for (const p of partitions) fetcher.remove(p);
      o.listener.lost(partitions);
    },
  };
  const protocol = o.protocol ?? 'classic';
  const built =
    protocol === 'classic'
      ? classicMembership(connection, o, hooks)
      : consumerMembership(connection, o, hooks);
  const membership: Membership = built.membership;
  fetcher = new PartitionFetcher(built.client, fetcherOptions(o));

  return {
    groupId: o.groupId,
    start: () => membership.start(),
    poll: (signal) => fetcher.poll(signal),
    seek(position) {
      fetcher.seek(position, position.offset);
    },
    pause: (partitions) => fetcher.setPaused(partitions, true),
    resume: (partitions) => fetcher.setPaused(partitionsIn(partitions, membership.assignment()), false),
    commit: (offsets) => membership.commit(offsets),
    committed: (partitions) => membership.committed(partitions),
    assignment: () => membership.assignment(),
    health: () => ({
      state: membership.state(),
      memberId: membership.memberId(),
      degraded: membership.degraded() ?? fetcher.degraded,
    }),
    async close() {
      await membership.close();
      await fetcher.settle();
    },
  };
}

function fetcherOptions(o: GroupConsumerOptions) {
  return {
    maxWaitMs: o.maxWaitMs ?? 100,
    maxBytes: o.maxBytes ?? defaultFetchBytes.maxBytes,
    maxBytesPerPartition: o.maxBytesPerPartition ?? defaultFetchBytes.maxBytesPerPartition,
  };
}

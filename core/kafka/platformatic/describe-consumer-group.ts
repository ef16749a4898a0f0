import { consumerGroupDescribeV0 } from '@platformatic/kafka';
import type { GroupDescription } from '../types.ts';
import { GroupCoordinator } from './coordinator.ts';
import { type ConnectionOptions, call } from './options.ts';

/**
 * Describes a group of the `consumer` protocol (KIP-848) with ConsumerGroupDescribe: the
 * classic DescribeGroups answers such a group as unknown, and platformatic's admin has no
 * call for it. Undefined when the coordinator no longer knows the group.
 */
export async function describeConsumerGroup(
  connection: ConnectionOptions,
  groupId: string,
): Promise<GroupDescription | undefined> {
  const coordinator = new GroupCoordinator(connection, groupId);
  try {
    const response = await call(`describe group ${groupId}`, () =>
      coordinator.send((c) => consumerGroupDescribeV0.api.async(c, [groupId], false)),
    );
    const g = response.groups[0];
    if (g?.errorCode !== 0 || g.groupState.toUpperCase() === 'DEAD') return undefined;
    return {
      groupId,
      state: g.groupState,
      protocolType: 'consumer',
      members: g.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        host: m.clientHost,
        assignment: m.assignment.topicPartitions.flatMap((t) =>
          t.partitions.map((partition) => ({ topic: t.topicName, partition })),
        ),
      })),
    };
  } finally {
    await coordinator.close();
  }
}

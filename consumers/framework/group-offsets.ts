import type { Kafka } from 'kafkajs';
import { ErrorCode, OutstreamError } from '../../core/errors.ts';
import type { PartitionOffset } from './start-positions.ts';

// States in which a group has no member whose commits a helper member could disturb.
const idle = new Set(['Empty', 'Dead']);

/**
 * Commits offsets for a consumer group that has no running member (ops and tests: rewind a
 * group, move it to the end, set a replay cursor). One short-lived member joins with its
 * partitions paused, commits, and leaves: a fraction of a second, where kafkajs's
 * `admin.setOffsets` waits for a fetch of its paused consumer (~5 s per topic).
 *
 * @throws OutstreamError (`CONSUMER`) when the group has running members: moving their
 * offsets under them would be overwritten by their next commit (stop them first).
 * @example
 * await commitGroupOffsets(kafka, 'notifications', [{ topic: 'events.booking', partition: 0, offset: '42' }]);
 */
export async function commitGroupOffsets(
  kafka: Kafka,
  groupId: string,
  commits: readonly PartitionOffset[],
): Promise<void> {
  if (commits.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const state = (await admin.describeGroups([groupId])).groups[0]?.state;
    if (state !== undefined && !idle.has(state)) {
      throw new OutstreamError(
        ErrorCode.consumer,
        `consumer group ${groupId} is ${state}: stop its members before moving its offsets`,
      );
    }
  } finally {
    await admin.disconnect();
  }
  const topics = [...new Set(commits.map((c) => c.topic))];
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: false });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => {} });
    consumer.pause(topics.map((topic) => ({ topic })));
    await joined;
    await consumer.commitOffsets([...commits]);
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Moves a group with no running member to the current end of `topics`, every partition: it
 * then handles only what is written from now on (tests and benchmarks reusing a group id).
 *
 * @returns the offsets committed.
 * @throws OutstreamError (`CONSUMER`) when the group has running members.
 */
export async function resetGroupToEnd(
  kafka: Kafka,
  groupId: string,
  topics: readonly string[],
): Promise<PartitionOffset[]> {
  const admin = kafka.admin();
  await admin.connect();
  let commits: PartitionOffset[];
  try {
    const ends = await Promise.all(
      topics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) })),
    );
    commits = ends.flatMap(({ topic, offsets }) =>
      offsets.map((o) => ({ topic, partition: o.partition, offset: o.high })),
    );
  } finally {
    await admin.disconnect();
  }
  await commitGroupOffsets(kafka, groupId, commits);
  return commits;
}

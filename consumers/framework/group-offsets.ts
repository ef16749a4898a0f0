import type { KafkaClient, PartitionOffset } from '../../core/kafka/index.ts';

/**
 * Commits offsets for a consumer group that has no running member (ops and tests: rewind a
 * group, move it to the end, set a replay cursor).
 *
 * @throws OutstreamError (`CONSUMER`) when the group has running members: moving their
 * offsets under them would be overwritten by their next commit (stop them first).
 * @example
 * await commitGroupOffsets(kafka, 'notifications', [{ topic: 'events.booking', partition: 0, offset: 42n }]);
 */
export async function commitGroupOffsets(
  kafka: KafkaClient,
  groupId: string,
  offsets: readonly PartitionOffset[],
): Promise<void> {
  if (offsets.length === 0) return;
  await kafka.withAdmin((admin) => admin.setGroupOffsets(groupId, offsets));
}

/**
 * Moves a group with no running member to the current end of `topics`, every partition: it
 * then handles only what is written from now on (tests and benchmarks reusing a group id).
 *
 * @returns the offsets committed.
 * @throws OutstreamError (`CONSUMER`) when the group has running members.
 */
export async function resetGroupToEnd(
  kafka: KafkaClient,
  groupId: string,
  topics: readonly string[],
): Promise<PartitionOffset[]> {
  return kafka.withAdmin(async (admin) => {
    const ends = await Promise.all(
      topics.map(async (topic) =>
        (await admin.partitionBounds(topic)).map((b) => ({ topic, partition: b.partition, offset: b.high })),
      ),
    );
    const offsets = ends.flat();
    if (offsets.length > 0) await admin.setGroupOffsets(groupId, offsets);
    return offsets;
  });
}

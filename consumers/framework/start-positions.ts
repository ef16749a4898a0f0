import {
  type PartitionBounds,
  type PartitionOffset,
  type TopicPartition,
  withoutPartitions,
} from '../../core/kafka/index.ts';

/** The partitions of `assigned` for which `committed` has no offset (pure). */
export function uncommittedPartitions(
  assigned: readonly TopicPartition[],
  committed: readonly PartitionOffset[],
): TopicPartition[] {
  return withoutPartitions(assigned, committed);
}

/**
 * Where each uncommitted partition starts (pure): the first offset its topic still holds
 * (`fromBeginning`) or its end.
 *
 * @throws Error when the bounds of a partition are missing (its topic's metadata is stale).
 */
export function startPositions(
  uncommitted: readonly TopicPartition[],
  bounds: ReadonlyMap<string, readonly PartitionBounds[]>,
  fromBeginning: boolean,
): PartitionOffset[] {
  return uncommitted.map(({ topic, partition }) => {
    const b = bounds.get(topic)?.find((x) => x.partition === partition);
    if (!b) throw new Error(`no offsets for ${topic}/${partition}`);
    return { topic, partition, offset: fromBeginning ? b.low : b.high };
  });
}

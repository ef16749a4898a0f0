import type { TopicPartition } from './types.ts';

/** A partition's identity as a map key. */
export function partitionKey(p: TopicPartition): string {
  return `${p.topic}\u0000${p.partition}`;
}

/** The partitions of `a` that are not in `b` (pure; `b` may hold offsets too). */
export function withoutPartitions(
  a: readonly TopicPartition[],
  b: readonly TopicPartition[],
): TopicPartition[] {
  const drop = new Set(b.map(partitionKey));
  return a.filter((p) => !drop.has(partitionKey(p)));
}

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

/** The partitions of `a` that are also in `b` (pure). */
export function partitionsIn<T extends TopicPartition>(a: readonly T[], b: readonly TopicPartition[]): T[] {
  const keep = new Set(b.map(partitionKey));
  return a.filter((p) => keep.has(partitionKey(p)));
}

/** Items (partitions, offsets) by topic, in the order they came: what Kafka requests group by. */
export function groupByTopic<T extends TopicPartition>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(item.topic);
    if (list) list.push(item);
    else out.set(item.topic, [item]);
  }
  return out;
}

/** Partition numbers by topic, sorted (status, logs and events show them so). */
export function partitionsByTopic(ps: readonly TopicPartition[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [topic, list] of groupByTopic(ps))
    out[topic] = list.map((p) => p.partition).sort((a, b) => a - b);
  return out;
}

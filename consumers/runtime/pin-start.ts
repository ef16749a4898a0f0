import type { Kafka } from 'kafkajs';

/**
 * WORKAROUND for a gap in "a new group starts at the end" (kafkajs `fromBeginning: false`,
 * i.e. auto.offset.reset=latest): a partition that received nothing before the group's
 * first stop has no committed offset, so events written to it while the group is down are
 * skipped when it comes back (it starts at the *new* end). Before the first member joins,
 * this commits the current end of every partition without a committed offset, so the group
 * starts at the end once and resumes from there ever after. Ideally the framework commits
 * the positions it resolved on first assignment (reported to its owner).
 *
 * Only an empty group is touched (joining a running one would rebalance it): one short-lived
 * member joins, commits, and leaves. With `all`, every partition moves to its end (tests: a
 * reused group id skips what it missed).
 *
 * @returns the partitions it pinned, as `topic/partition@offset`.
 */
export async function pinStartPositions(
  kafka: Kafka,
  groupId: string,
  topics: readonly string[],
  { all = false }: { all?: boolean } = {},
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const commits: { topic: string; partition: number; offset: string }[] = [];
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const state = groups[0]?.state;
    if (state !== undefined && state !== 'Empty' && state !== 'Dead') return [];
    const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
    for (const topic of topics) {
      const known = committed.find((c) => c.topic === topic)?.partitions ?? [];
      const missing = new Set(known.filter((p) => all || p.offset === '-1').map((p) => p.partition));
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (missing.has(p.partition) || !known.some((k) => k.partition === p.partition)) {
          commits.push({ topic, partition: p.partition, offset: p.high });
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (commits.length === 0) return [];
  await commitAsEmptyGroup(kafka, groupId, commits);
  return commits.map((c) => `${c.topic}/${c.partition}@${c.offset}`);
}

/**
 * Commits offsets for a group that has no running member: one short-lived member joins
 * (its partitions paused), commits, and leaves. kafkajs's `admin.setOffsets` does the same
 * per topic but waits for a fetch each time (~5 s per topic); this takes a fraction of a second.
 */
export async function commitAsEmptyGroup(
  kafka: Kafka,
  groupId: string,
  commits: readonly { topic: string; partition: number; offset: string }[],
): Promise<void> {
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

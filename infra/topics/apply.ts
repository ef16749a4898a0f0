import type { KafkaAdmin } from '../../core/kafka/index.ts';
import { type ActualTopic, describeChange, planTopics, type TopicChange } from './plan.ts';
import type { TopicSpec } from './topics.ts';

/** Options of {@link applyTopics}. */
export interface ApplyTopicsOptions {
  /** Only print the plan. */
  dryRun?: boolean;
  /** Allow adding partitions to keyed topics (moves keys: breaks order of in-flight keys). */
  allowRepartition?: boolean;
  log?: (line: string) => void;
}

/**
 * Reads the declared topics' partition counts and settings from the cluster: every setting
 * with a value, whether set on the topic or inherited, as that is what the topic runs with.
 */
export async function readTopics(admin: KafkaAdmin, names: readonly string[]): Promise<ActualTopic[]> {
  const described = await admin.describeTopics(names);
  return Promise.all(
    described.map(async (t) => {
      const entries = await admin.topicConfigs(t.topic);
      const config = Object.fromEntries(
        entries.flatMap((e) => (e.value === null ? [] : [[e.name, e.value]])),
      );
      return { name: t.topic, partitions: t.partitions, replicationFactor: t.replicationFactor, config };
    }),
  );
}

/**
 * Makes the cluster match the declaration, idempotently: creates missing topics, sets
 * drifted configs, and adds partitions only when allowed. Prints every change it sees.
 *
 * @returns the changes found (applied unless dryRun; refused ones included).
 */
export async function applyTopics(
  admin: KafkaAdmin,
  declared: readonly TopicSpec[],
  { dryRun = false, allowRepartition = false, log = () => {} }: ApplyTopicsOptions = {},
): Promise<TopicChange[]> {
  const changes = planTopics(
    declared,
    await readTopics(
      admin,
      declared.map((t) => t.name),
    ),
  );
  if (changes.length === 0) log('topics: up to date');
  for (const c of changes) log(describeChange(c));
  if (dryRun) return changes;

  const creates = changes.flatMap((c) => (c.kind === 'create' ? [c.topic] : []));
  if (creates.length > 0) {
    await admin.createTopics(
      creates.map((t) => ({
        topic: t.name,
        partitions: t.partitions,
        replicationFactor: t.replicationFactor,
        configs: t.config,
      })),
    );
  }
  // Settings are set incrementally: only the drifted keys change, the topic's others stay.
  const drifted = new Map<string, Record<string, string>>();
  for (const c of changes) {
    if (c.kind === 'alter-config') drifted.set(c.topic, { ...drifted.get(c.topic), [c.key]: c.to });
  }
  for (const [topic, configs] of drifted) await admin.setTopicConfigs(topic, configs);
  for (const c of changes) {
    if (c.kind === 'add-partitions' && (!c.keyed || allowRepartition))
      await admin.createPartitions(c.topic, c.to);
  }
  return changes;
}

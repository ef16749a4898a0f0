import type { Admin } from 'kafkajs';
import { ConfigResourceTypes } from '../../core/kafka.ts';
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

/** Reads the declared topics' partition counts and configs from the cluster. */
export async function readTopics(admin: Admin, names: readonly string[]): Promise<ActualTopic[]> {
  const existing = new Set(await admin.listTopics());
  const present = names.filter((n) => existing.has(n));
  if (present.length === 0) return [];
  const { topics } = await admin.fetchTopicMetadata({ topics: present });
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: present.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
  });
  return topics.map((t) => {
    const r = resources.find((x) => x.resourceName === t.name);
    const config = Object.fromEntries((r?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
    return { name: t.name, partitions: t.partitions.length, config };
  });
}

/**
 * Makes the cluster match the declaration, idempotently: creates missing topics, sets
 * drifted configs, and adds partitions only when allowed. Prints every change it sees.
 *
 * @returns the changes found (applied unless dryRun; refused ones included).
 */
export async function applyTopics(
  admin: Admin,
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
    await admin.createTopics({
      waitForLeaders: true,
      topics: creates.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: t.replicationFactor,
        configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  const drifted = new Set(changes.flatMap((c) => (c.kind === 'alter-config' ? [c.topic] : [])));
  if (drifted.size > 0) {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [...drifted].map((name) => {
        // alterConfigs replaces the whole set: keep the declared keys together.
        const spec = declared.find((t) => t.name === name)!;
        return {
          type: ConfigResourceTypes.TOPIC,
          name,
          configEntries: Object.entries(spec.config).map(([n, value]) => ({ name: n, value })),
        };
      }),
    });
  }
  const grow = changes.flatMap((c) =>
    c.kind === 'add-partitions' && (!c.keyed || allowRepartition) ? [{ topic: c.topic, count: c.to }] : [],
  );
  if (grow.length > 0) await admin.createPartitions({ topicPartitions: grow });
  return changes;
}

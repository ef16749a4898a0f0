import type { Admin, ConfigEntries } from 'kafkajs';
import type { Logger } from 'pino';
import { ConfigResourceTypes, ConfigSource } from '../../core/kafka.ts';

const day = 86_400_000;

/**
 * How long dead-letter topics keep their records by default: 30 days. Long enough to notice,
 * fix and replay, where the broker default (7 days) would silently drop dead letters nobody
 * looked at for a week. `deadLetter.retentionMs` overrides it.
 */
export const defaultDeadLetterRetentionMs = 30 * day;

type TopicConfigEntry = Pick<ConfigEntries, 'configName' | 'configValue' | 'configSource' | 'isSensitive'>;

/**
 * The topic-level configuration to write so that an existing dead-letter topic keeps its
 * records for `retentionMs` (pure), or undefined to leave it alone: its `retention.ms` is set
 * on the topic already (by this framework, or on purpose by an operator), or one of its
 * settings cannot be read back (a sensitive one). Kafka's AlterConfigs replaces the whole
 * topic-level set, so the topic's other settings are carried over.
 */
export function retentionUpdate(
  entries: readonly TopicConfigEntry[],
  retentionMs: number,
): { name: string; value: string }[] | undefined {
  const own = entries.filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG);
  if (own.some((e) => e.configName === 'retention.ms')) return undefined;
  if (own.some((e) => e.isSensitive || e.configValue === null)) return undefined;
  return [
    ...own.map((e) => ({ name: e.configName, value: e.configValue })),
    { name: 'retention.ms', value: String(retentionMs) },
  ];
}

/** What {@link ensureDeadLetterTopic} needs. */
export interface EnsureDeadLetterTopicOptions {
  /** The topic the dead letters come from: the new topic gets its partition count. */
  source: string;
  topic: string;
  retentionMs: number;
  logger: Logger;
}

/**
 * Makes sure a dead-letter topic exists and keeps its records for `retentionMs`: creates it
 * with the source topic's partition count and that retention, or — for one an earlier
 * version created on the broker's default retention — sets it (see {@link retentionUpdate}).
 * A retention an operator set on the topic is kept. Failing to set it only logs a warning:
 * writing the dead letter matters more.
 */
export async function ensureDeadLetterTopic(admin: Admin, o: EnsureDeadLetterTopicOptions): Promise<void> {
  const { topic, logger } = o;
  if (!(await admin.listTopics()).includes(topic)) {
    const meta = await admin.fetchTopicMetadata({ topics: [o.source] });
    const partitions = meta.topics[0]?.partitions.length ?? 1;
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: partitions,
          configEntries: [{ name: 'retention.ms', value: String(o.retentionMs) }],
        },
      ],
    });
    if (created) {
      logger.info({ topic, partitions, retentionMs: o.retentionMs }, 'created dead-letter topic');
      return;
    }
    // Another member created it in the meantime: check it like any existing topic.
  }
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    });
    const entries = resources[0]?.configEntries ?? [];
    const update = retentionUpdate(entries, o.retentionMs);
    if (!update) return;
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: update }],
    });
    const was = entries.find((e) => e.configName === 'retention.ms')?.configValue;
    logger.info(
      { topic, retentionMs: o.retentionMs, was },
      'dead-letter topic had the broker default retention; set its own',
    );
  } catch (e) {
    logger.warn(
      { err: e, topic, retentionMs: o.retentionMs },
      'cannot check or set the retention of the dead-letter topic; it may drop dead letters sooner',
    );
  }
}

import type { Logger } from 'pino';
import type { KafkaAdmin, TopicConfigEntry } from '../../core/kafka/index.ts';

/**
 * Whether a dead-letter topic needs its retention set (pure): only when `retention.ms` is not
 * set on the topic itself (it runs on the broker's default, as topics of earlier versions
 * did). A retention set on the topic — by this framework or on purpose by an operator — is
 * left alone.
 */
export function needsRetention(entries: readonly TopicConfigEntry[]): boolean {
  return !entries.some((e) => e.name === 'retention.ms' && e.isTopicOverride);
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
 * with the source topic's partition count and replication and that retention, or — for one
 * an earlier version created on the broker's default retention — sets it (an incremental
 * update: the topic's other settings stay). Failing to set it only logs a warning: writing
 * the dead letter matters more.
 */
export async function ensureDeadLetterTopic(
  admin: KafkaAdmin,
  o: EnsureDeadLetterTopicOptions,
): Promise<void> {
  const { topic, logger } = o;
  const found = await admin.describeTopics([topic, o.source]);
  if (!found.some((t) => t.topic === topic)) {
    const source = found.find((t) => t.topic === o.source);
    const partitions = source?.partitions ?? 1;
    try {
      await admin.createTopics([
        {
          topic,
          partitions,
          replicationFactor: source?.replicationFactor ?? 1,
          configs: { 'retention.ms': String(o.retentionMs) },
        },
      ]);
      logger.info({ topic, partitions, retentionMs: o.retentionMs }, 'created dead-letter topic');
      return;
    } catch (e) {
      // Another member created it in the meantime: check it like any existing topic.
      if ((await admin.describeTopics([topic])).length === 0) throw e;
    }
  }
  try {
    const entries = await admin.topicConfigs(topic);
    if (!needsRetention(entries)) return;
    await admin.setTopicConfigs(topic, { 'retention.ms': String(o.retentionMs) });
    const was = entries.find((e) => e.name === 'retention.ms')?.value;
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

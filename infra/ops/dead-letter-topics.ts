import { type DeadLetterPartition, deadLetterPartitions } from '../../consumers/framework/index.ts';
import {
  type GroupKind,
  type KafkaAdmin,
  ownerKind,
  parseDeadLetterTopic,
  shownGroupKinds,
} from '../../core/kafka/index.ts';

/** A dead-letter topic `<source>.dlq.<group>` with its counts. */
export interface DeadLetterTopic {
  topic: string;
  /** The topic the dead letters were read from. */
  source: string;
  group: string;
  kind: GroupKind;
  partitions: DeadLetterPartition[];
  /** Dead letters the topic holds. */
  messages: number;
  /** Of those, not replayed yet (after the group's replay cursor). */
  pending: number;
}

/** Options of {@link listDeadLetterTopics}. */
export interface DeadLetterFilter {
  /** Only this group's (listed even when its kind is hidden by default). */
  group?: string;
  /** Only this topic: the dead-letter topic itself, or the source topic. */
  topic?: string;
  /** Include the dead-letter topics of test and benchmark groups. */
  all?: boolean;
}

/**
 * Finds the dead-letter topics (`<topic>.dlq.<group>`) and counts what each holds and what is
 * still to replay. Reads offsets only, never records.
 */
export async function listDeadLetterTopics(
  admin: KafkaAdmin,
  filter: DeadLetterFilter = {},
): Promise<{ topics: DeadLetterTopic[]; hidden: number }> {
  const found = (await admin.listTopics())
    .flatMap((topic) => {
      const parsed = parseDeadLetterTopic(topic);
      return parsed
        ? [{ topic, source: parsed.topic, group: parsed.group, kind: ownerKind(parsed.group) }]
        : [];
    })
    .filter((t) => filter.group === undefined || t.group === filter.group)
    .filter((t) => filter.topic === undefined || t.topic === filter.topic || t.source === filter.topic)
    .sort((a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic));
  const shown = found.filter((t) => filter.all || filter.group !== undefined || shownGroupKinds.has(t.kind));
  const topics = await Promise.all(
    shown.map(async (t) => {
      const partitions = await deadLetterPartitions(admin, t.group, t.topic);
      const messages = partitions.reduce((n, p) => n + Number(p.high - p.low), 0);
      const pending = partitions.reduce((n, p) => n + p.pending, 0);
      return { ...t, partitions, messages, pending };
    }),
  );
  return { topics, hidden: found.length - shown.length };
}

import { kafkaRecordLimitBytes } from '../../connect/event-limit.ts';
import type { OutstreamConfig } from '../../core/config.ts';
import { ephemeralTopic, eventTopic } from '../../core/kafka/names.ts';

/** A topic as infra/topics declares it. */
export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  /**
   * Keyed topics carry per-key order: adding partitions moves keys to other partitions and
   * breaks that order for in-flight keys, so `topics apply` refuses it without a flag.
   */
  keyed: boolean;
  /** Topic-level configs, compared and applied as strings. */
  config: {
    'cleanup.policy': 'delete' | 'compact' | 'compact,delete';
    'retention.ms': string;
    'min.insync.replicas': string;
    'max.message.bytes': string;
    /** Set on short-retention topics: a segment must roll before retention can delete it. */
    'segment.ms'?: string;
  };
}

const day = 24 * 60 * 60 * 1000;

/** Kafka's default topic `max.message.bytes`: the 1 MiB record limit plus the 12-byte batch log overhead. */
const topicMessageLimitBytes = kafkaRecordLimitBytes + 12;

/** Defaults for every events topic; replayable history for rebuilds and SSE resume. */
export const eventsTopicDefaults = {
  partitions: 12,
  replicationFactor: 1,
  retentionMs: 7 * day,
  minInsyncReplicas: 1,
} as const;

/** Options for {@link declaredTopics}, e.g. a production cluster's replication. */
export interface TopicDefaults {
  partitions?: number;
  replicationFactor?: number;
  retentionMs?: number;
  minInsyncReplicas?: number;
}

/** The topic defaults of a configuration: its cluster's replication (the stack's profile). */
export function topicDefaultsOf(config: Pick<OutstreamConfig, 'kafka'>): TopicDefaults {
  return {
    replicationFactor: config.kafka.replication.factor,
    minInsyncReplicas: config.kafka.replication.minInsync,
  };
}

/**
 * Defaults for every ephemeral topic (`publish()`: typing indicators, read receipts,
 * reactions, presence). A short retention: they are resumable within it (and within the
 * gateway's resume window, 15 min by default), never replayed for rebuilds. Fewer partitions
 * keep realtime resume tokens short; a segment rolls every 10 min so retention can act.
 */
export const ephemeralTopicDefaults = {
  partitions: 3,
  retentionMs: 60 * 60 * 1000,
  segmentMs: 10 * 60 * 1000,
} as const;

/**
 * Every topic Outstream owns: one `events.<aggregate>` topic per aggregate type of the
 * catalogue (several event types share it, keyed by aggregate id), and one short-retention
 * `ephemeral.<aggregate>` topic per aggregate listed in `ephemeral`.
 */
export function declaredTopics(
  aggregateTypes: readonly string[],
  defaults: TopicDefaults = {},
  ephemeral: readonly string[] = [],
): TopicSpec[] {
  const d = { ...eventsTopicDefaults, ...defaults };
  return aggregateTypes.map((aggregate) => {
    const spec = eventsTopicSpec(aggregate, d);
    if (!ephemeral.includes(aggregate)) return spec;
    const e = ephemeralTopicDefaults;
    return {
      ...spec,
      name: ephemeralTopic(aggregate),
      partitions: e.partitions,
      config: {
        ...spec.config,
        'retention.ms': String(e.retentionMs),
        'segment.ms': String(e.segmentMs),
      },
    };
  });
}

function eventsTopicSpec(aggregate: string, d: Required<TopicDefaults>): TopicSpec {
  return {
    name: eventTopic(aggregate),
    partitions: d.partitions,
    replicationFactor: d.replicationFactor,
    keyed: true,
    config: {
      'cleanup.policy': 'delete',
      'retention.ms': String(d.retentionMs),
      'min.insync.replicas': String(d.minInsyncReplicas),
      // Declared, though it is the broker's default, so that a topic lowered below what the
      // pipeline sends shows as drift in `topics plan` (a lower limit halts the connector).
      'max.message.bytes': String(topicMessageLimitBytes),
    },
  };
}

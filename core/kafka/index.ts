import { createPlatformaticKafka } from './platformatic/client.ts';
import type { KafkaClient } from './port.ts';

/** Where the cluster is, and who we are to it. */
export interface KafkaOptions {
  brokers: readonly string[];
  clientId: string;
  /**
   * Retries of a single request inside the client before it reports a failure (default 3);
   * 0 for a probe that must answer at once (the stack's health check).
   */
  retries?: number;
}

/**
 * The one way Outstream reaches Kafka: every other module speaks the port's types and verbs.
 * The adapter behind it is `@platformatic/kafka` (see core/kafka/README.md for another).
 *
 * @example
 * const kafka = createKafka(config.kafka);
 * const topics = await kafka.withAdmin((admin) => admin.listTopics());
 */
export function createKafka(options: KafkaOptions): KafkaClient {
  return createPlatformaticKafka(options);
}

export { headerText, producibleHeaders, recordHeaders } from './headers.ts';
export type { GroupKind } from './names.ts';
export {
  deadLetterTopic,
  ephemeralTopic,
  eventTopic,
  groupKind,
  isEphemeralTopic,
  ownerKind,
  parseDeadLetterTopic,
  replayCursorGroup,
  shownGroupKinds,
  throwawayGroupPrefixes,
} from './names.ts';
export {
  groupByTopic,
  partitionKey,
  partitionsByTopic,
  partitionsIn,
  withoutPartitions,
} from './partitions.ts';
export type {
  GroupConsumer,
  GroupConsumerOptions,
  GroupListener,
  KafkaAdmin,
  KafkaClient,
  KafkaProducer,
  MemberState,
  ProducerOptions,
  RangeReader,
  ReadOptions,
  ReadRange,
} from './port.ts';
export type { BoundedRange } from './read-all.ts';
export { readAll } from './read-all.ts';
export type {
  GroupDescription,
  GroupListing,
  GroupMember,
  GroupProtocol,
  KafkaRecord,
  PartitionBounds,
  PartitionOffset,
  PartitionReplicas,
  ProducerRecord,
  QuorumDescription,
  RecordBatch,
  RecordHeaders,
  TopicConfigEntry,
  TopicDescription,
  TopicPartition,
  TopicSpec,
} from './types.ts';

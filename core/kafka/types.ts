/**
 * Outstream's own Kafka types: what the rest of the code speaks. No client library's type
 * appears here; `core/kafka/platformatic/` translates.
 */

/** A partition of a topic. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** A position in a partition: the offset of a record, or the next one to read or commit. */
export interface PartitionOffset extends TopicPartition {
  offset: bigint;
}

/**
 * A record's headers. Kafka allows a name twice: the last value wins, as every Outstream
 * header is written once. A header sent as null (Debezium writes NULL columns so) is null.
 */
export type RecordHeaders = ReadonlyMap<string, Buffer | null>;

/** A record read from Kafka. */
export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeaders;
  /** Milliseconds since the epoch (the producer's create time, or the broker's append time). */
  timestamp: number;
}

/** A record to write. Without `partition`, the key's hash picks one (murmur2, as Java's client). */
export interface ProducerRecord {
  topic: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Readonly<Record<string, Buffer | string>>;
  partition?: number;
}

/** The records of one partition handed out by one fetch, in offset order. */
export interface RecordBatch extends TopicPartition {
  records: readonly KafkaRecord[];
  /** The partition's end (next offset to be written) when the batch was fetched. */
  highWatermark: bigint;
  /**
   * The offset to read next after this batch. Past the last record, and past control records
   * or compacted gaps that hold no record: committing it never re-reads what the batch skipped.
   */
  nextOffset: bigint;
}

/** A partition's first and next-to-write offsets. */
export interface PartitionBounds {
  partition: number;
  /** The first offset still held (retention removes records from the front). */
  low: bigint;
  /** The next offset to be written: the log end. */
  high: bigint;
}

/** A topic to create. */
export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  configs?: Readonly<Record<string, string>>;
}

/** One topic-level setting as the broker reports it. */
export interface TopicConfigEntry {
  name: string;
  value: string | null;
  /** Set on the topic itself (not a broker or default value). */
  isTopicOverride: boolean;
  isSensitive: boolean;
}

/** A topic as the cluster's metadata describes it. */
export interface TopicDescription {
  topic: string;
  partitions: number;
  replicationFactor: number;
}

/** Where a partition's copies live (broker ids): the leader serves it, the ISR are in sync. */
export interface PartitionReplicas {
  partition: number;
  /** -1 while no replica can lead (every replica down). */
  leader: number;
  replicas: number[];
  isr: number[];
}

/** The KRaft controller quorum: the active controller and the voting nodes (ids). */
export interface QuorumDescription {
  /** The active controller; -1 during an election. */
  leaderId: number;
  leaderEpoch: number;
  voters: number[];
}

/** A consumer group as `listGroups` sees it. */
export interface GroupListing {
  groupId: string;
  /** `consumer` for consumer groups (either protocol); `connect` for Connect's workers. */
  protocolType: string;
  state: string;
  /** The group protocol a consumer group runs (`classic` for Connect's workers too). */
  protocol?: GroupProtocol;
}

/** A member of a consumer group and the partitions it owns. */
export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  assignment: TopicPartition[];
}

/** A consumer group as `describeGroups` sees it. */
export interface GroupDescription {
  groupId: string;
  /** `Stable`, `Empty`, `PreparingRebalance`, `Dead`, … (the classic and the consumer protocol's states). */
  state: string;
  protocolType: string;
  members: GroupMember[];
}

/**
 * Kafka's group protocols: `consumer` is Kafka 4's (KIP-848: the broker assigns, partitions
 * move one at a time, no stop-the-world rebalance); `classic` is the JoinGroup/SyncGroup one.
 */
export type GroupProtocol = 'consumer' | 'classic';

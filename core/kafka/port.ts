import type {
  GroupDescription,
  GroupListing,
  GroupProtocol,
  PartitionBounds,
  PartitionOffset,
  PartitionReplicas,
  ProducerRecord,
  QuorumDescription,
  RecordBatch,
  TopicConfigEntry,
  TopicDescription,
  TopicPartition,
  TopicSpec,
} from './types.ts';

/**
 * The cluster's administration. It connects on first use and holds its connections until
 * `close()`; `kafka.withAdmin(fn)` closes it for you.
 */
export interface KafkaAdmin {
  listTopics(): Promise<string[]>;
  /** The topics that exist, among `topics` (a missing one is left out). */
  describeTopics(topics: readonly string[]): Promise<TopicDescription[]>;
  /** Creates topics and waits until each partition has a leader. An existing topic is an error. */
  createTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Raises a topic's partition count to `count`. */
  createPartitions(topic: string, count: number): Promise<void>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** Every setting of a topic, with whether it is set on the topic itself. */
  topicConfigs(topic: string): Promise<TopicConfigEntry[]>;
  /** Sets the given topic-level settings, leaving the others as they are (incremental). */
  setTopicConfigs(topic: string, configs: Readonly<Record<string, string>>): Promise<void>;
  /** Each partition's first and next-to-write offsets, by partition. */
  partitionBounds(topic: string): Promise<PartitionBounds[]>;
  /** Each partition's leader, replicas and in-sync replicas (broker ids), from fresh metadata. */
  partitionReplicas(topic: string): Promise<PartitionReplicas[]>;
  /** The KRaft controller quorum: the active controller and the voters. */
  describeQuorum(): Promise<QuorumDescription>;
  /**
   * The offsets a group committed in `topics` (partitions without a commit are left out).
   * Without `topics`: every partition the group has a commit on, of any topic.
   */
  committedOffsets(groupId: string, topics?: readonly string[]): Promise<PartitionOffset[]>;
  /**
   * Commits offsets for a group with no running member (ops and tests: rewind a group, move
   * it to the end, set a replay cursor).
   *
   * @throws OutstreamError (`CONSUMER`) when the group has members: their next commit would
   * overwrite these (stop them first).
   */
  setGroupOffsets(groupId: string, offsets: readonly PartitionOffset[]): Promise<void>;
  listGroups(): Promise<GroupListing[]>;
  /**
   * The groups among `groupIds` that the cluster knows (`Dead` ones are left out). Members
   * are described for consumer groups; a group of another protocol type (Kafka Connect's
   * workers) comes with its state and no members.
   */
  describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]>;
  deleteGroups(groupIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** An idempotent producer that waits for every in-sync replica (acks all). */
export interface KafkaProducer {
  /**
   * Writes records and resolves once every in-sync replica has them, with the offset of the
   * first record written to each partition.
   */
  send(records: readonly ProducerRecord[]): Promise<PartitionOffset[]>;
  close(): Promise<void>;
}

/** One partition's stretch of a {@link RangeReader} read. */
export interface ReadRange extends TopicPartition {
  /** The first offset to read (an offset retention removed starts at the first one held). */
  from: bigint;
  /** The end, exclusive. Undefined: follow the log until the read is aborted. */
  to?: bigint;
}

/** What to read with a {@link RangeReader}. */
export interface ReadOptions {
  ranges: readonly ReadRange[];
  /** Ends the read (the iterator returns; no error). */
  signal?: AbortSignal;
  /**
   * A bounded read that has not reached every `to` by then fails with a `KafkaError`
   * naming the partitions left. Ignored while a range follows the log. Default 60 s.
   */
  timeoutMs?: number;
  /** How long one fetch waits for new records (default 100 ms): the latency of a follow. */
  maxWaitMs?: number;
  /**
   * Told when the read starts waiting out a failure it retries by itself (a broker or the
   * cluster's metadata unreachable), with what it waits for, and with undefined once it
   * fetches again: a follow read that outlives an outage is otherwise silent.
   */
  onDegraded?: (reason: string | undefined) => void;
}

/**
 * Group-less reading by partition and offset: nothing is committed, no group is joined.
 * Ops commands, dead-letter listing and replay, analytics rebuilds and the gateway's gap and
 * live reads all use it.
 */
export interface RangeReader {
  /** The records of each range, a batch at a time, in offset order within a partition. */
  read(options: ReadOptions): AsyncIterable<RecordBatch>;
  close(): Promise<void>;
}

/**
 * What a {@link GroupConsumer} tells its owner about membership. The member fetches a
 * partition only after `assigned` resolved for it, and gives one up only after `revoked`
 * resolved: work on a revoked partition must be finished (or abandoned) and committed
 * before then, which is how per-key order holds across members.
 */
export interface GroupListener {
  /** Partitions just given to this member; set their positions (`seek`) before resolving. */
  assigned(partitions: readonly TopicPartition[]): Promise<void>;
  /**
   * Partitions being taken away, still owned: finish, commit, then resolve. The group waits
   * up to the rebalance timeout.
   */
  revoked(partitions: readonly TopicPartition[]): Promise<void>;
  /** Partitions lost without notice (the member was fenced or expired): commits would be refused. */
  lost(partitions: readonly TopicPartition[]): void;
}

/** Options of {@link KafkaClient.groupConsumer}. */
export interface GroupConsumerOptions {
  groupId: string;
  topics: readonly string[];
  listener: GroupListener;
  /**
   * Default `classic`: measured here (`npm run bench:rebalance`), a member joining mid-stream
   * gets its first record after ~0.8 s under `classic` and ~5 s under `consumer` (the broker's
   * heartbeat pace), and the longest pause of a moved partition is ~90 ms against ~230 ms.
   * `consumer` pauses only the partitions that move: choose it for handlers with long work
   * in flight. See core/kafka/README.md.
   */
  protocol?: GroupProtocol;
  /** Classic protocol only: the member is dropped after this long without a heartbeat (default 30 s). */
  sessionTimeoutMs?: number;
  /** How long the group waits for this member to finish revoking (default 60 s). */
  rebalanceTimeoutMs?: number;
  /** Classic protocol only (the broker sets it under `consumer`): default 3 s. */
  heartbeatIntervalMs?: number;
  /** How long one fetch waits for records (default 100 ms). */
  maxWaitMs?: number;
  /** Per fetch response (default 16 MiB) and per partition (default 1 MiB). */
  maxBytes?: number;
  maxBytesPerPartition?: number;
}

/** Where a group member is in its life. */
export type MemberState = 'idle' | 'joining' | 'stable' | 'revoking' | 'closing' | 'closed';

/**
 * A member of a consumer group that its owner drives: it joins, hands out fetched batches of
 * the partitions it owns, and commits exactly the offsets it is given. It never commits by
 * itself and never moves a position on its own except by `seek`.
 */
export interface GroupConsumer {
  readonly groupId: string;
  /** Joins the group; resolves once the first assignment went through `listener.assigned`. */
  start(): Promise<void>;
  /**
   * The next batches of owned, unpaused partitions, from their positions (which then move
   * past them). Waits up to `maxWaitMs` for records; resolves `[]` when there are none, when
   * the signal aborts or while the member has nothing to fetch. A broker that is down is
   * waited out (capped backoff, reported through `health()`), never thrown.
   */
  poll(signal?: AbortSignal): Promise<RecordBatch[]>;
  /** Sets where the next fetch of a partition starts; a batch fetched before is dropped. */
  seek(position: PartitionOffset): void;
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /**
   * Commits offsets (each the next offset to read) of owned partitions in one request.
   *
   * @throws KafkaError when the member no longer owns them (`retriable: false`) or the
   * coordinator cannot be reached (`retriable: true`).
   */
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
  /** The group's committed offsets for `partitions` (those without one are left out). */
  committed(partitions: readonly TopicPartition[]): Promise<PartitionOffset[]>;
  /** The partitions this member owns now. */
  assignment(): TopicPartition[];
  /** Membership and connectivity: `degraded` names what is being waited out. */
  health(): { state: MemberState; memberId: string | undefined; degraded: string | undefined };
  /** Revokes everything (through the listener), leaves the group and closes connections. */
  close(): Promise<void>;
}

/** Options of {@link KafkaClient.producer}. */
export interface ProducerOptions {
  /** How long records wait to be batched together (default 0: sent at once). */
  lingerMs?: number;
}

/** Everything Outstream does with Kafka, behind one port (see core/kafka/README.md). */
export interface KafkaClient {
  readonly brokers: readonly string[];
  readonly clientId: string;
  admin(): KafkaAdmin;
  /** Runs `fn` with an admin that is closed afterwards, whatever happens. */
  withAdmin<T>(fn: (admin: KafkaAdmin) => Promise<T>): Promise<T>;
  producer(options?: ProducerOptions): KafkaProducer;
  reader(): RangeReader;
  groupConsumer(options: GroupConsumerOptions): GroupConsumer;
}

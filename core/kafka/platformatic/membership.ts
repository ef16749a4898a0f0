import type { MemberState } from '../port.ts';
import type { PartitionOffset, TopicPartition } from '../types.ts';

/** What a membership tells the group consumer (which tells its owner's listener). */
export interface MembershipHooks {
  /** The group started a rebalance: stop starting new work (revocations follow). */
  rebalancing(): void;
  assigned(partitions: readonly TopicPartition[]): Promise<void>;
  /** Awaited before the member gives the partitions up. */
  revoked(partitions: readonly TopicPartition[]): Promise<void>;
  lost(partitions: readonly TopicPartition[]): void;
}

/**
 * One group protocol's membership: joining, heartbeats, assignment changes (through the
 * hooks, in order, one at a time) and commits in the member's generation or epoch.
 */
export interface Membership {
  start(): Promise<void>;
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
  committed(partitions: readonly TopicPartition[]): Promise<PartitionOffset[]>;
  assignment(): TopicPartition[];
  state(): MemberState;
  memberId(): string | undefined;
  /** What membership is waiting out (coordinator unreachable, …). */
  degraded(): string | undefined;
  /** Revokes what it owns (through the hooks), leaves the group, closes its connections. */
  close(): Promise<void>;
}

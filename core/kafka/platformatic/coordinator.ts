import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Broker,
  type Connection,
  ConnectionPool,
  findCoordinatorV6,
  offsetCommitV9,
} from '@platformatic/kafka';
import { groupByTopic } from '../partitions.ts';
import type { PartitionOffset } from '../types.ts';
import { type ConnectionOptions, kafkaCodeOf } from './options.ts';

const groupKeyType = 0;

// Answers that mean "this broker is not (or no longer) the group's coordinator": find it again.
const movedCodes = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE']);

/** Whether a failed coordinator request may succeed against a coordinator found again. */
export function coordinatorMoved(e: unknown): boolean {
  const code = kafkaCodeOf(e);
  // No broker error name: the connection failed (a broker down, a socket reset, a timeout).
  return code === undefined || movedCodes.has(code);
}

/**
 * Requests to a consumer group's coordinator on connections of its own. The coordinator is
 * found once (FindCoordinator) and found again after an answer or a failure that says it
 * moved; the caller decides whether and when to retry.
 */
export class GroupCoordinator {
  #pool: ConnectionPool;
  #bootstrap: Broker[];
  #groupId: string;
  #coordinator: Broker | undefined;

  constructor(connection: ConnectionOptions, groupId: string) {
    this.#groupId = groupId;
    this.#bootstrap = connection.brokers.map((b) => {
      const at = b.lastIndexOf(':');
      return { host: b.slice(0, at), port: Number(b.slice(at + 1)) };
    });
    // A broker that is down fails a request at once; heartbeats are small and must not queue.
    this.#pool = new ConnectionPool(`${connection.clientId}-coordinator-${groupId}`, {
      connectTimeout: 3_000,
      requestTimeout: 10_000,
    });
  }

  /** Runs one request against the coordinator; forgets it when the failure says it moved. */
  async send<T>(request: (connection: Connection) => Promise<T>): Promise<T> {
    try {
      this.#coordinator ??= await this.#find();
      return await request(await this.#pool.get(this.#coordinator));
    } catch (e) {
      if (coordinatorMoved(e)) this.#coordinator = undefined;
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.#pool.close().catch(() => {});
  }

  async #find(): Promise<Broker> {
    const connection = await this.#pool.getFirstAvailable(this.#bootstrap);
    const response = await findCoordinatorV6.api.async(connection, groupKeyType, [this.#groupId]);
    const found = response.coordinators[0];
    if (!found) throw new Error(`no coordinator named for group ${this.#groupId}`);
    return { host: found.host, port: found.port };
  }
}

/**
 * Runs a coordinator request, trying again (up to three times in all) while the coordinator
 * moves or loads: a commit or an offset read should not fail on a leadership change.
 */
export async function withCoordinatorRetry<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (e) {
      const code = kafkaCodeOf(e) ?? '';
      const transient = movedCodes.has(code) || code === 'COORDINATOR_LOAD_IN_PROGRESS';
      if (!transient || attempt >= 3) throw e;
      await sleep(200 * attempt);
    }
  }
}

/**
 * Commits a member's offsets of many partitions in one OffsetCommit request (v9 serves both
 * group protocols: `generation` is the classic generation id or the KIP-848 member epoch).
 * A member the group no longer knows is refused at once (ILLEGAL_GENERATION,
 * STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID), never rejoined from here.
 */
export function commitOffsets(
  coordinator: GroupCoordinator,
  member: { groupId: string; generation: number; memberId: string },
  offsets: readonly PartitionOffset[],
) {
  const topics = [...groupByTopic(offsets)].map(([name, xs]) => ({
    name,
    partitions: xs.map((x) => ({
      partitionIndex: x.partition,
      committedOffset: x.offset,
      committedLeaderEpoch: -1,
      committedMetadata: null,
    })),
  }));
  return withCoordinatorRetry(() =>
    coordinator.send((c) =>
      offsetCommitV9.api.async(c, member.groupId, member.generation, member.memberId, null, topics),
    ),
  );
}

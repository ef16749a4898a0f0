import type { Logger } from 'pino';
import { DisconnectReason, type SseConnection } from './connection.ts';
import { ConnectionIndex } from './connection-index.ts';
import { DuplicateFilter } from './duplicate-filter.ts';
import type { GatewayMetrics } from './metrics.ts';
import { encodePosition } from './position.ts';
import { copyOffsets, type Offsets, raisedTo } from './position-math.ts';
import type { RecentBuffer } from './recent-buffer.ts';
import type { RoutedRecord } from './router.ts';
import { checkpointFrame, eventFrame, heartbeatFrame } from './sse-frame.ts';

/** Options of {@link createHub}. */
export interface HubOptions {
  recent: RecentBuffer;
  metrics: GatewayMetrics;
  logger: Logger;
  heartbeatMs: number;
  resumeWindowMs: number;
  maxPendingEvents: number;
  /** Aggregates whose last sequence the node remembers to drop duplicates (0: none). */
  dedupeAggregates: number;
}

/**
 * The node's fan-out core. It holds the node's position in every partition (the next offset
 * it will dispatch), the open connections indexed by channel, and dispatches each routed
 * record synchronously to every matching connection: a connection that registers between two
 * dispatches has seen exactly the records before the position it snapshots, which is what
 * makes the replay → live handover exact.
 *
 * Records Debezium published twice (same aggregate, a sequence already dispatched) are
 * dropped here, once for every stream: they move positions but reach nobody (see
 * {@link DuplicateFilter}).
 */
export function createHub(options: HubOptions) {
  const { recent, metrics, logger } = options;
  /** Topic → next offset per partition. */
  const positions = new Map<string, bigint[]>();
  /** Topic → number of records dispatched (drives checkpoints). */
  const topicStamps = new Map<string, number>();
  const connections = new ConnectionIndex();
  const tokenCache = new Map<string, { version: number; second: number; token: string }>();
  const duplicates = new DuplicateFilter(options.dedupeAggregates);
  let version = 0;

  function stampOf(conn: SseConnection): number {
    let s = 0;
    for (const t of conn.topics) s += topicStamps.get(t) ?? 0;
    return s;
  }

  /** The node's position over `topics`, raised to the connection's floor where it has one. */
  function positionOf(conn: SseConnection): Offsets {
    return raisedTo(new Map(conn.topics.map((t) => [t, positions.get(t) ?? []])), conn.floor);
  }

  /** `at` (raised to the connection's floor) just before a record: where the connection lags from. */
  function before(conn: SseConnection, at: Offsets, r: { topic: string; partition: number; offset: bigint }) {
    const out = copyOffsets(raisedTo(at, conn.floor));
    const list = out.get(r.topic);
    if (list) list[r.partition] = r.offset;
    return out;
  }

  /** The resume token of the node's current position for a connection (shared per topic set). */
  function tokenFor(conn: SseConnection): string {
    const now = Date.now();
    if (conn.floor) return encodePosition({ issuedAt: now, offsets: positionOf(conn) });
    const second = Math.floor(now / 1000);
    const cached = tokenCache.get(conn.topicKey);
    if (cached && cached.version === version && cached.second === second) return cached.token;
    const token = encodePosition({ issuedAt: now, offsets: positionOf(conn) });
    tokenCache.set(conn.topicKey, { version, second, token });
    return token;
  }

  function markId(conn: SseConnection): void {
    conn.lastIdStamp = stampOf(conn);
    conn.lastIdAt = Date.now();
  }

  /** Drops floor entries the node has caught up with; true if the record is below the floor. */
  function belowFloor(conn: SseConnection, topic: string, partition: number, offset: bigint): boolean {
    const floor = conn.floor?.get(topic);
    if (!floor) return false;
    const f = floor[partition] ?? 0n;
    if (offset < f) return true;
    if (
      conn.floor &&
      [...conn.floor].every(([t, list]) => list.every((o, i) => o <= (positions.get(t)?.[i] ?? 0n)))
    ) {
      conn.floor = undefined;
    }
    return false;
  }

  function tickOne(conn: SseConnection, now: number, heartbeat: boolean): void {
    if (now >= conn.expiry.at) {
      // A last checkpoint, so the client resumes exactly from here once re-authenticated.
      if (conn.state === 'live') conn.write(checkpointFrame(tokenFor(conn)));
      conn.end(conn.expiry.reason, 'reconnect with a fresh token to resume');
      return;
    }
    conn.checkSlow(now);
    if (!conn.open || !heartbeat || conn.state === 'lagging') return;
    if (conn.state === 'live') {
      const stamp = stampOf(conn);
      if (stamp !== conn.lastIdStamp || now - conn.lastIdAt > options.resumeWindowMs / 2) {
        if (conn.write(checkpointFrame(tokenFor(conn)))) markId(conn);
        return;
      }
    }
    conn.write(heartbeatFrame);
  }

  return {
    /** Sets where the node starts reading a partition (before dispatching any of its records). */
    startAt(topic: string, partition: number, offset: bigint): void {
      let list = positions.get(topic);
      if (!list) {
        list = [];
        positions.set(topic, list);
      }
      list[partition] = offset;
      recent.startAt(topic, partition, offset);
    },

    /** The next offset the node will dispatch in a partition, if it reads it. */
    positionAt(topic: string, partition: number): bigint | undefined {
      return positions.get(topic)?.[partition];
    },

    /** Partition count the node reads for a topic. */
    partitionCount(topic: string): number {
      return positions.get(topic)?.length ?? 0;
    },

    /** A copy of the node's position over the given topics (the handover point of a resume). */
    snapshot(topics: readonly string[]): Offsets {
      return new Map(topics.map((t) => [t, [...(positions.get(t) ?? [])]]));
    },

    /**
     * Dispatches one record (in partition order). A record at or below the node's position was
     * dispatched before (a re-fetch after a consumer restart) and is ignored.
     */
    dispatch(record: RoutedRecord): void {
      const list = positions.get(record.topic);
      if (!list || list[record.partition] === undefined || record.offset < list[record.partition]!) return;
      list[record.partition] = record.offset + 1n;
      topicStamps.set(record.topic, (topicStamps.get(record.topic) ?? 0) + 1);
      version++;
      if (duplicates.repeats(record)) {
        metrics.duplicatesDropped.inc({ source: 'live' });
        recent.push({ ...record, deliveries: [] });
        return;
      }
      recent.push(record);
      let delivered = false;
      for (const d of record.deliveries) {
        const subscribers = connections.on(d.channel);
        if (!subscribers) continue;
        for (const conn of subscribers) {
          if (conn.seen === version || (d.presence && !conn.presenceChannels.has(d.channel))) continue;
          conn.seen = version;
          if (conn.state === 'lagging' || belowFloor(conn, record.topic, record.partition, record.offset)) {
            continue;
          }
          const frame = eventFrame(tokenFor(conn), record.type, d.data);
          if (conn.state === 'live') {
            if (conn.writeLive(frame, () => before(conn, positionOf(conn), record))) {
              markId(conn);
              metrics.eventsSent.inc();
              delivered = true;
            }
          } else if (conn.state === 'replaying') {
            if (conn.pending.length >= options.maxPendingEvents) {
              conn.end(DisconnectReason.overloaded, 'too many live events queued during resume: reconnect');
              continue;
            }
            conn.pending.push({
              topic: record.topic,
              partition: record.partition,
              offset: record.offset,
              aggregate: record.aggregate,
              sequence: record.sequence,
              frame,
            });
          }
        }
      }
      if (delivered) metrics.commitToSend.observe((Date.now() - record.timestamp) / 1000);
    },

    /** Adds a connection in the replaying state: live events are held until {@link goLive}. */
    register(conn: SseConnection): void {
      connections.add(conn);
      metrics.connections.set(connections.size);
    },

    /**
     * Ends the resume of a connection: sends the live events held meanwhile (those the client
     * already has are skipped by position, or by sequence after a gap read from Kafka), then
     * streams live. Synchronous, so no record can slip between the two.
     */
    goLive(conn: SseConnection): void {
      if (conn.state !== 'replaying') return;
      const pending = conn.pending;
      const gap = conn.gapSequences;
      // Where each held event starts: the gap's end, moved past the held events written.
      const cursor = copyOffsets(conn.gapEnd ?? positionOf(conn));
      conn.pending = [];
      conn.gapSequences = undefined;
      conn.gapEnd = undefined;
      conn.state = 'live';
      if (gap) duplicates.learn(gap);
      for (const p of pending) {
        const floor = conn.floor?.get(p.topic)?.[p.partition];
        if (floor !== undefined && p.offset < floor) continue;
        if (gap && p.aggregate !== undefined && gap.repeats(p.aggregate, p.sequence!)) {
          metrics.duplicatesDropped.inc({ source: 'held' });
          continue;
        }
        if (!conn.writeLive(p.frame, () => before(conn, cursor, p))) return;
        cursor.get(p.topic)![p.partition] = p.offset + 1n;
        metrics.eventsSent.inc();
      }
      markId(conn);
    },

    /** Removes a closed connection from the index. */
    unregister(conn: SseConnection): void {
      if (!connections.delete(conn)) return;
      metrics.connections.set(connections.size);
    },

    tokenFor,
    markId,

    /**
     * Periodic work: heartbeats (with a checkpoint when the position moved, or when the last id
     * grows old, so a quiet client never falls out of the resume window), and token expiry.
     */
    tick(now: number, heartbeat: boolean): void {
      for (const conn of connections) {
        // One stream's failure must never stop the others' heartbeats (or the process).
        try {
          tickOne(conn, now, heartbeat);
        } catch (e) {
          logger.error({ err: e, conn: conn.id }, 'stream tick failed: ending the stream');
          conn.end(DisconnectReason.overloaded, 'internal error: reconnect to resume');
        }
      }
    },

    /** The node's duplicate filter (gap reads consult it). */
    duplicates,

    /** Open connections. */
    get size(): number {
      return connections.size;
    },

    /** Every open connection (for draining). */
    connections(): SseConnection[] {
      return [...connections];
    },

    /** Logs the dispatch of a record that could not be decoded (poison): it is skipped. */
    skipped(topic: string, partition: number, offset: bigint, error: unknown): void {
      logger.error({ topic, partition, offset: String(offset), err: error }, 'undecodable record skipped');
    },
  };
}

/** The hub {@link createHub} returns. */
export type Hub = ReturnType<typeof createHub>;

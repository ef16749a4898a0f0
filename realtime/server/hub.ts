import type { Logger } from 'pino';
import { DisconnectReason, type SseConnection } from './connection.ts';
import type { GatewayMetrics } from './metrics.ts';
import { encodePosition } from './position.ts';
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
}

/**
 * The node's fan-out core. It holds the node's position in every partition (the next offset
 * it will dispatch), the open connections indexed by channel, and dispatches each routed
 * record synchronously to every matching connection: a connection that registers between two
 * dispatches has seen exactly the records before the position it snapshots, which is what
 * makes the replay → live handover exact.
 */
export function createHub(options: HubOptions) {
  const { recent, metrics, logger } = options;
  /** Topic → next offset per partition. */
  const positions = new Map<string, bigint[]>();
  /** Topic → number of records dispatched (drives checkpoints). */
  const topicStamps = new Map<string, number>();
  const connections = new Set<SseConnection>();
  const byChannel = new Map<string, Set<SseConnection>>();
  const tokenCache = new Map<string, { version: number; second: number; token: string }>();
  let version = 0;

  function stampOf(conn: SseConnection): number {
    let s = 0;
    for (const t of conn.topics) s += topicStamps.get(t) ?? 0;
    return s;
  }

  /** The node's position over `topics`, raised to the connection's floor where it has one. */
  function positionOf(conn: SseConnection): Map<string, bigint[]> {
    const out = new Map<string, bigint[]>();
    for (const t of conn.topics) {
      const p = positions.get(t) ?? [];
      const floor = conn.floor?.get(t);
      out.set(t, floor ? p.map((o, i) => max(o, floor[i] ?? 0n)) : p);
    }
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
    snapshot(topics: readonly string[]): Map<string, bigint[]> {
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
      recent.push(record);
      let delivered = false;
      for (const d of record.deliveries) {
        const subscribers = byChannel.get(d.channel);
        if (!subscribers) continue;
        for (const conn of subscribers) {
          if (conn.seen === version) continue;
          conn.seen = version;
          if (belowFloor(conn, record.topic, record.partition, record.offset)) continue;
          const frame = eventFrame(tokenFor(conn), record.type, d.data);
          if (conn.state === 'live') {
            if (conn.write(frame)) {
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
      for (const ch of conn.channels) {
        let set = byChannel.get(ch);
        if (!set) {
          set = new Set();
          byChannel.set(ch, set);
        }
        set.add(conn);
      }
      metrics.connections.set(connections.size);
    },

    /**
     * Ends the resume of a connection: sends the live events held meanwhile (those the client
     * already has are skipped by position), then streams live. Synchronous, so no record can
     * slip between the two.
     */
    goLive(conn: SseConnection): void {
      if (conn.state !== 'replaying') return;
      const pending = conn.pending;
      conn.pending = [];
      conn.state = 'live';
      for (const p of pending) {
        const floor = conn.floor?.get(p.topic)?.[p.partition];
        if (floor !== undefined && p.offset < floor) continue;
        if (!conn.write(p.frame)) return;
        metrics.eventsSent.inc();
      }
      markId(conn);
    },

    /** Removes a closed connection from the index. */
    unregister(conn: SseConnection): void {
      if (!connections.delete(conn)) return;
      for (const ch of conn.channels) {
        const set = byChannel.get(ch);
        set?.delete(conn);
        if (set?.size === 0) byChannel.delete(ch);
      }
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
        if (conn.expiresAt !== undefined && now >= conn.expiresAt) {
          conn.end(DisconnectReason.tokenExpired, 'token expired: reconnect with a fresh token to resume');
          continue;
        }
        conn.checkSlow(now);
        if (!conn.open || !heartbeat) continue;
        if (conn.state === 'live') {
          const stamp = stampOf(conn);
          if (stamp !== conn.lastIdStamp || now - conn.lastIdAt > options.resumeWindowMs / 2) {
            if (conn.write(checkpointFrame(tokenFor(conn)))) markId(conn);
            continue;
          }
        }
        conn.write(heartbeatFrame);
      }
    },

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

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

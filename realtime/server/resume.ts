import type { Logger } from 'pino';
import { partitionKey } from '../../core/kafka/index.ts';
import type { SseConnection } from './connection.ts';
import type { RecordRouter } from './decode-record.ts';
import type { GapReader } from './gap-reader.ts';
import type { Hub } from './hub.ts';
import type { GatewayMetrics } from './metrics.ts';
import { decodePosition, encodePosition, type Position } from './position.ts';
import type { Range, RecentBuffer } from './recent-buffer.ts';
import type { RoutedRecord } from './router.ts';
import { checkpointFrame, controlFrame, eventFrame } from './sse-frame.ts';

/** Why a resume could not be served (the `reason` of the `reset` event). */
export const ResetReason = {
  invalidToken: 'invalid-token',
  tooOld: 'too-old',
  channelsChanged: 'channels-changed',
  partitionsChanged: 'partitions-changed',
  gapTooLarge: 'gap-too-large',
  retention: 'retention',
  readFailed: 'read-failed',
} as const;
export type ResetReason = (typeof ResetReason)[keyof typeof ResetReason];

/** Options of {@link createStreamStarter}. */
export interface StreamStarterOptions {
  hub: Hub;
  recent: RecentBuffer;
  gapReader: GapReader;
  routeRecord: RecordRouter;
  metrics: GatewayMetrics;
  logger: Logger;
  resumeWindowMs: number;
  maxReplayRecords: number;
}

/**
 * Starts a stream: fresh (from the node's position now) or resumed from a token.
 *
 * The handover: the connection registers with the hub first, which holds every live record
 * dispatched from then on, and the node's position at that instant (P0) is snapshotted. The gap
 * is `[token, P0)` per partition, read from the recent buffer or Kafka and sent in order with
 * per-event tokens; then the held live records (all at or after P0) follow. A partition where
 * the token is ahead of P0 (it came from a node further along) becomes a floor: live records
 * below it are skipped. So each record reaches the client exactly once.
 */
export function createStreamStarter(o: StreamStarterOptions) {
  const { hub, metrics } = o;

  function reset(conn: SseConnection, p0: Map<string, bigint[]>, reason: ResetReason, message: string): void {
    metrics.resets.inc({ reason });
    conn.floor = undefined;
    o.logger.info({ conn: conn.id, reason }, 'resume reset');
    const token = encodePosition({ issuedAt: Date.now(), offsets: p0 });
    conn.write(controlFrame('reset', { reason, message }, token));
    hub.goLive(conn);
  }

  async function resume(conn: SseConnection, token: string, p0: Map<string, bigint[]>): Promise<void> {
    let position: Position;
    try {
      position = decodePosition(token);
    } catch (e) {
      return reset(conn, p0, ResetReason.invalidToken, (e as Error).message);
    }
    if (Date.now() - position.issuedAt > o.resumeWindowMs) {
      return reset(
        conn,
        p0,
        ResetReason.tooOld,
        `the position is older than ${o.resumeWindowMs} ms: refetch state`,
      );
    }
    const ranges: Range[] = [];
    const floor = new Map<string, bigint[]>();
    let total = 0n;
    for (const [topic, now] of p0) {
      const then = position.offsets.get(topic);
      if (!then) {
        return reset(
          conn,
          p0,
          ResetReason.channelsChanged,
          `the token does not cover ${topic}: refetch state`,
        );
      }
      if (then.length !== now.length) {
        return reset(
          conn,
          p0,
          ResetReason.partitionsChanged,
          `${topic} has ${now.length} partitions, the token ${then.length}`,
        );
      }
      for (const [partition, to] of now.entries()) {
        const from = then[partition]!;
        if (from < to) {
          ranges.push({ topic, partition, from, to });
          total += to - from;
        } else if (from > to) {
          let list = floor.get(topic);
          if (!list) {
            list = [];
            floor.set(topic, list);
          }
          list[partition] = from;
        }
      }
    }
    if (total > BigInt(o.maxReplayRecords)) {
      return reset(
        conn,
        p0,
        ResetReason.gapTooLarge,
        `${total} records to replay (at most ${o.maxReplayRecords})`,
      );
    }
    if (floor.size > 0) conn.floor = floor;
    const fromMemory = o.recent.covers(ranges);
    metrics.resumes.inc({ source: ranges.length === 0 ? 'none' : fromMemory ? 'memory' : 'kafka' });
    let records: RoutedRecord[];
    if (fromMemory) {
      records = o.recent.slice(ranges);
    } else {
      try {
        if (await belowLogStart(ranges)) {
          return reset(
            conn,
            p0,
            ResetReason.retention,
            'part of the gap is no longer retained: refetch state',
          );
        }
        const raw = await o.gapReader.read(ranges);
        // Retention only ever moves the log start up: if the gap's start is still retained
        // now, nothing in it was deleted while it was being read.
        if (await belowLogStart(ranges)) {
          return reset(
            conn,
            p0,
            ResetReason.retention,
            'part of the gap is no longer retained: refetch state',
          );
        }
        const routed: RoutedRecord[] = [];
        for (const r of raw) routed.push(await o.routeRecord(r));
        records = mergeByTime(routed);
      } catch (e) {
        if (!conn.open) return;
        o.logger.warn({ err: e, conn: conn.id }, 'resume gap could not be read');
        return reset(conn, p0, ResetReason.readFailed, 'the gap could not be read: refetch state');
      }
    }
    if (!conn.open) return;
    const cursor = new Map([...p0.keys()].map((t) => [t, [...position.offsets.get(t)!]]));
    for (const rec of records) {
      const list = cursor.get(rec.topic)!;
      const next = rec.offset + 1n;
      if (next > list[rec.partition]!) list[rec.partition] = next;
      const d = rec.deliveries.find((x) => conn.channels.has(x.channel));
      if (!d) continue;
      const frame = eventFrame(encodePosition({ issuedAt: Date.now(), offsets: cursor }), rec.type, d.data);
      if (!(await conn.writeWithBackpressure(frame))) return;
      metrics.replayedEvents.inc();
      metrics.eventsSent.inc();
    }
    hub.goLive(conn);
  }

  async function belowLogStart(ranges: readonly Range[]): Promise<boolean> {
    const starts = new Map<string, bigint[]>();
    for (const r of ranges) {
      let low = starts.get(r.topic);
      if (!low) {
        low = await o.gapReader.logStart(r.topic);
        starts.set(r.topic, low);
      }
      if (r.from < (low[r.partition] ?? 0n)) return true;
    }
    return false;
  }

  return {
    /**
     * Registers the connection and starts its stream. Without a token the first frame is a
     * checkpoint carrying the current position, so even a client that sees no event before it
     * disconnects resumes without loss.
     */
    async start(conn: SseConnection, token: string | undefined): Promise<void> {
      hub.register(conn);
      const p0 = hub.snapshot(conn.topics);
      if (token === undefined) {
        conn.write(checkpointFrame(encodePosition({ issuedAt: Date.now(), offsets: p0 })));
        hub.goLive(conn);
        return;
      }
      await resume(conn, token, p0);
    },
  };
}

/**
 * Merges per-partition runs (each in offset order) into one sequence by record time, keeping
 * every partition's order (a k-way merge, not a sort: record times need not be monotonic).
 */
export function mergeByTime(records: readonly RoutedRecord[]): RoutedRecord[] {
  const runs = new Map<string, RoutedRecord[]>();
  for (const r of records) {
    const k = partitionKey(r);
    let run = runs.get(k);
    if (!run) {
      run = [];
      runs.set(k, run);
    }
    run.push(r);
  }
  const lists = [...runs.values()];
  const heads = lists.map(() => 0);
  const out: RoutedRecord[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const head = lists[i]![heads[i]!];
      if (head && (best < 0 || head.timestamp < lists[best]![heads[best]!]!.timestamp)) best = i;
    }
    if (best < 0) return out;
    out.push(lists[best]![heads[best]!++]!);
  }
}

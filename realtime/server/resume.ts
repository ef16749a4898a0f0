import type { Logger } from 'pino';
import { partitionKey } from '../../core/kafka/index.ts';
import type { SseConnection } from './connection.ts';
import type { GapReader } from './gap-reader.ts';
import type { Hub } from './hub.ts';
import { LastSequences } from './last-sequences.ts';
import type { LogBounds } from './log-bounds.ts';
import type { GatewayMetrics } from './metrics.ts';
import { decodePosition, encodePosition } from './position.ts';
import { checkPosition, type PositionLimits, ResetReason } from './position-check.ts';
import { copyOffsets, type Offsets } from './position-math.ts';
import type { Range, RecentBuffer } from './recent-buffer.ts';
import type { RoutedRecord } from './router.ts';
import { checkpointFrame, controlFrame, eventFrame } from './sse-frame.ts';

export { ResetReason } from './position-check.ts';

/** Options of {@link createStreamStarter}. */
export interface StreamStarterOptions {
  hub: Hub;
  recent: RecentBuffer;
  gapReader: GapReader<RoutedRecord>;
  logBounds: LogBounds;
  metrics: GatewayMetrics;
  logger: Logger;
  limits: PositionLimits & { maxReplayBytes: number };
}

/**
 * Starts a stream: fresh (from the node's position now) or resumed from a token; and catches
 * up a connection that lagged (its socket could not take a burst).
 *
 * The handover: the connection registers with the hub first, which holds every live record
 * dispatched from then on, and the node's position at that instant (P0) is snapshotted. The gap
 * is `[token, P0)` per partition, read from the recent buffer or Kafka and sent in order with
 * per-event tokens; then the held live records (all at or after P0) follow. A partition where
 * the token is ahead of P0 (it came from a node further along) becomes a floor: live records
 * below it are skipped. So each record reaches the client exactly once; records Debezium
 * published twice are dropped by sequence (the hub's filter, and the stream's own sequences
 * while its gap and held records are sent).
 */
export function createStreamStarter(o: StreamStarterOptions) {
  const { hub, metrics, gapReader } = o;

  function reset(conn: SseConnection, p0: Offsets, reason: ResetReason, message: string): void {
    metrics.resets.inc({ reason });
    conn.floor = undefined;
    conn.gapSequences = undefined;
    conn.gapEnd = undefined;
    o.logger.info({ conn: conn.id, reason }, 'resume reset');
    conn.write(
      controlFrame('reset', { reason, message }, encodePosition({ issuedAt: Date.now(), offsets: p0 })),
    );
    hub.goLive(conn);
  }

  /** Sends `[from, P0)` and goes live; `kind` names the metric (resume or catch-up). */
  async function replay(
    conn: SseConnection,
    from: ReadonlyMap<string, readonly bigint[]>,
    issuedAt: number,
    p0: Offsets,
    kind: 'resume' | 'catch-up',
  ): Promise<void> {
    const verdict = checkPosition({ issuedAt, offsets: from }, p0, o.limits, Date.now());
    if (verdict.kind === 'reset') return reset(conn, p0, verdict.reason, verdict.message);
    const { ranges, floor } = verdict;
    if (floor.size > 0) {
      for (const [topic, list] of floor) {
        const { high } = await o.logBounds.bounds(topic);
        const beyond = list.findIndex((offset, p) => offset !== undefined && offset > (high[p] ?? 0n));
        if (beyond >= 0) {
          return reset(
            conn,
            p0,
            ResetReason.beyondLogEnd,
            `offset ${list[beyond]} of ${topic}/${beyond} is beyond the log end ${high[beyond] ?? 0n}: refetch state`,
          );
        }
      }
      if (!conn.open) return;
      conn.floor = floor;
    } else {
      conn.floor = undefined;
    }
    const fromMemory = o.recent.covers(ranges);
    const source = ranges.length === 0 ? 'none' : fromMemory ? 'memory' : 'kafka';
    (kind === 'resume' ? metrics.resumes : metrics.catchUps).inc({ source });
    let records: RoutedRecord[] = [];
    let release = () => {};
    if (fromMemory) {
      records = o.recent.slice(ranges);
    } else {
      try {
        const retention = 'part of the gap is no longer retained: refetch state';
        if (await belowLogStart(ranges)) return reset(conn, p0, ResetReason.retention, retention);
        const readStart = Date.now();
        const read = await gapReader.read(ranges, conn.signal);
        if (read.kind === 'too-large') {
          const message = `the gap holds more than ${o.limits.maxReplayBytes} bytes: refetch state`;
          return reset(conn, p0, ResetReason.gapTooLarge, message);
        }
        release = read.release;
        // Retention only ever moves the log start up: if the gap's start is still retained
        // now, nothing in it was deleted while it was being read.
        if (await belowLogStart(ranges, readStart)) {
          release();
          return reset(conn, p0, ResetReason.retention, retention);
        }
        records = mergeByTime(read.records);
      } catch (e) {
        if (!conn.open) return;
        o.logger.warn({ err: e, conn: conn.id }, 'resume gap could not be read');
        return reset(conn, p0, ResetReason.readFailed, 'the gap could not be read: refetch state');
      }
    }
    try {
      if (!conn.open) return;
      const sequences = new LastSequences(o.limits.maxReplayRecords);
      conn.gapSequences = sequences;
      conn.gapEnd = p0;
      const cursor = copyOffsets(new Map([...p0.keys()].map((t) => [t, from.get(t) ?? []])));
      for (const rec of records) {
        const list = cursor.get(rec.topic)!;
        const next = rec.offset + 1n;
        if (next > list[rec.partition]!) list[rec.partition] = next;
        const d = rec.deliveries.find((x) => conn.receives(x));
        if (!d) continue;
        if (
          hub.duplicates.dropped(rec) ||
          (rec.aggregate && sequences.repeats(rec.aggregate, rec.sequence!))
        ) {
          metrics.duplicatesDropped.inc({ source: 'gap' });
          continue;
        }
        const frame = eventFrame(encodePosition({ issuedAt: Date.now(), offsets: cursor }), rec.type, d.data);
        if (!(await conn.writeWithBackpressure(frame))) return;
        metrics.replayedEvents.inc();
        metrics.eventsSent.inc();
      }
    } finally {
      release();
    }
    hub.goLive(conn);
  }

  /** True if a range starts below its partition's log start (asked at or after `notBefore`). */
  async function belowLogStart(ranges: readonly Range[], notBefore?: number): Promise<boolean> {
    const starts = new Map<string, bigint[]>();
    for (const r of ranges) {
      let low = starts.get(r.topic);
      if (!low) {
        low = (await o.logBounds.bounds(r.topic, notBefore)).low;
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
     * disconnects resumes without loss. A token that cannot be used gets a `reset`, never an
     * error: it is checked (shape, age, topics, partitions, bounds) before anything is read.
     */
    async start(conn: SseConnection, token: string | undefined): Promise<void> {
      hub.register(conn);
      const p0 = hub.snapshot(conn.topics);
      if (token === undefined) {
        conn.write(checkpointFrame(encodePosition({ issuedAt: Date.now(), offsets: p0 })));
        hub.goLive(conn);
        return;
      }
      let position: ReturnType<typeof decodePosition>;
      try {
        position = decodePosition(token);
      } catch (e) {
        return reset(conn, p0, ResetReason.invalidToken, (e as Error).message);
      }
      await replay(conn, position.offsets, position.issuedAt, p0, 'resume');
    },

    /**
     * Catches up a lagging connection once its socket drained: from where it stopped being
     * written to, exactly as a resume (held live records, then live again).
     */
    async catchUp(conn: SseConnection): Promise<void> {
      const from = conn.lagFrom;
      if (conn.state !== 'lagging' || !from) return;
      conn.lagFrom = undefined;
      conn.state = 'replaying';
      await replay(conn, from, Date.now(), hub.snapshot(conn.topics), 'catch-up');
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

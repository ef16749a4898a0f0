import type { Position } from './position.ts';
import type { Range } from './recent-buffer.ts';

/** Why a resume could not be served (the `reason` of the `reset` event). */
export const ResetReason = {
  /** Not a position token, issued in the future, or not made for this stream's partitions. */
  invalidToken: 'invalid-token',
  tooOld: 'too-old',
  channelsChanged: 'channels-changed',
  partitionsChanged: 'partitions-changed',
  /** An offset beyond the partition's log end (a forged token, or a topic deleted and re-created). */
  beyondLogEnd: 'beyond-log-end',
  gapTooLarge: 'gap-too-large',
  retention: 'retention',
  readFailed: 'read-failed',
} as const;
export type ResetReason = (typeof ResetReason)[keyof typeof ResetReason];

/** Limits a position is checked against. */
export interface PositionLimits {
  /** Oldest issue time accepted, as an age (ms). */
  resumeWindowMs: number;
  /** How far in the future an issue time may lie (ms): the nodes' clock skew. */
  clockSkewMs: number;
  /** Most records (counted by offsets) one resume may replay. */
  maxReplayRecords: number;
}

/** What {@link checkPosition} decided. */
export type PositionVerdict =
  | {
      kind: 'resume';
      /** The gap per partition, `[token, P0)`, where the token is behind the node. */
      ranges: Range[];
      /** Topic → offsets where the token is ahead of the node (sparse): live records below are skipped. */
      floor: Map<string, bigint[]>;
      /** Records in the gap, counted by offsets (an upper bound: compaction and markers leave holes). */
      total: bigint;
    }
  | { kind: 'reset'; reason: ResetReason; message: string };

/**
 * Checks a decoded position against the stream it is to resume and the node's position P0
 * over that stream's topics (pure). A position resumes a stream only when it was issued
 * neither in the future (beyond the clock skew) nor longer ago than the window, covers exactly
 * the stream's topics with their partition counts, and the gap to P0 is within the replay
 * bound. Offsets beyond P0 are returned as a floor: the caller checks them against the log
 * end (a node further along may have issued them, a forger may have too).
 */
export function checkPosition(
  position: Position,
  p0: ReadonlyMap<string, readonly bigint[]>,
  limits: PositionLimits,
  now: number,
): PositionVerdict {
  const reset = (reason: ResetReason, message: string): PositionVerdict => ({
    kind: 'reset',
    reason,
    message,
  });
  if (position.issuedAt > now + limits.clockSkewMs) {
    return reset(ResetReason.invalidToken, 'the position was issued in the future: refetch state');
  }
  if (now - position.issuedAt > limits.resumeWindowMs) {
    return reset(ResetReason.tooOld, `the position is older than ${limits.resumeWindowMs} ms: refetch state`);
  }
  for (const topic of position.offsets.keys()) {
    if (!p0.has(topic)) {
      return reset(
        ResetReason.channelsChanged,
        `the token covers ${topic}, which these channels do not read`,
      );
    }
  }
  const ranges: Range[] = [];
  const floor = new Map<string, bigint[]>();
  let total = 0n;
  for (const [topic, now0] of p0) {
    const then = position.offsets.get(topic);
    if (!then) return reset(ResetReason.channelsChanged, `the token does not cover ${topic}: refetch state`);
    if (then.length !== now0.length) {
      return reset(
        ResetReason.partitionsChanged,
        `${topic} has ${now0.length} partitions, the token ${then.length}`,
      );
    }
    for (const [partition, to] of now0.entries()) {
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
  if (total > BigInt(limits.maxReplayRecords)) {
    return reset(ResetReason.gapTooLarge, `${total} records to replay (at most ${limits.maxReplayRecords})`);
  }
  return { kind: 'resume', ranges, floor, total };
}

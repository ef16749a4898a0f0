import type { z } from 'zod';
import { envelopeHeaders } from '../../connect/outbox-connector.ts';
import { ConfigError } from '../../core/errors.ts';
import {
  headerText,
  type KafkaAdmin,
  parseDeadLetterTopic,
  type RecordBatch,
  replayCursorGroup,
} from '../../core/kafka/index.ts';
import { waitFor } from '../../core/wait.ts';
import { type BatchSource, createBatchLoop } from './batch-loop.ts';
import { memoryBlockedKeyStore } from './blocked-keys.ts';
import { createConsumerCore } from './consumer-core.ts';
import { type DeadLetterReason, deadLetterHeaders } from './dead-letter.ts';
import { originalRecord } from './dead-letter-source.ts';
import { parseOptions, replayOptionsSchema } from './options.ts';
import type { RecordOutcome } from './process-record.ts';

/** One partition of a dead-letter topic, with the group's replay cursor on it. */
export interface DeadLetterPartition {
  partition: number;
  /** First offset the topic still holds (retention removes older dead letters). */
  low: bigint;
  /** Log end: the offset the next dead letter will get. */
  high: bigint;
  /** The next dead letter to replay; null when this partition was never replayed. */
  cursor: bigint | null;
  /** Dead letters from the cursor (or the first one held) to the end: not yet replayed. */
  pending: number;
}

/** Reads each partition's offsets and the group's replay cursor on a dead-letter topic. */
export async function deadLetterPartitions(
  admin: KafkaAdmin,
  group: string,
  deadLetterTopic: string,
): Promise<DeadLetterPartition[]> {
  const [bounds, cursors] = await Promise.all([
    admin.partitionBounds(deadLetterTopic),
    admin.committedOffsets(replayCursorGroup(group), [deadLetterTopic]),
  ]);
  const committed = new Map(cursors.map((c) => [c.partition, c.offset]));
  return bounds
    .map(({ partition, low, high }) => {
      const cursor = committed.get(partition) ?? null;
      const from = cursor === null || cursor < low ? low : cursor;
      return { partition, low, high, cursor, pending: high > from ? Number(high - from) : 0 };
    })
    .sort((a, b) => a.partition - b.partition);
}

/**
 * Options of {@link replayDeadLetters}: the group's own consumer options (handlers, retry,
 * ordering, dead-letter retention, in-flight limit, drain deadline — one schema and one set of
 * defaults with `defineConsumer`), the dead-letter topic, and how far to go.
 */
export type ReplayOptions = z.input<typeof replayOptionsSchema>;

/** What became of one replayed dead letter. */
export interface ReplayedRecord {
  /** Where the dead letter is. */
  partition: number;
  offset: bigint;
  /** Where the event was when it failed; undefined for a record that is not a dead letter. */
  original?: { topic: string; partition: number; offset: bigint; key: string | null };
  eventId?: string;
  eventType?: string;
  /**
   * `processed`/`skipped`: handled (a handler's skip, or no handler for its type any more);
   * `dead-lettered`: failed again, appended to the same dead-letter topic (`reason`, `error`);
   * `abandoned`: the replay stopped first, it stays pending; `not-a-dead-letter`: no `dlq-*`
   * headers, or another group's, passed over.
   */
  outcome: RecordOutcome | 'not-a-dead-letter';
  reason?: DeadLetterReason;
  error?: string;
}

/** What {@link replayDeadLetters} did. */
export interface ReplayReport {
  group: string;
  deadLetterTopic: string;
  cursorGroup: string;
  /** The partitions as they were when the replay started (the replay stops at their `high`). */
  before: DeadLetterPartition[];
  records: ReplayedRecord[];
  /** True when every dead letter pending at the start was replayed (none abandoned). */
  complete: boolean;
}

/**
 * Replays a group's dead letters through the group's own handlers — never through the source
 * topic, which every other group reads too. It reads `<topic>.dlq.<group>` group-less from the
 * cursor (the committed offsets of group {@link replayCursorGroup}) up to the end it saw when
 * it started; each dead letter is turned back into the record it was made from
 * (`originalRecord`) and processed by the same consumer core as the live group: decoded,
 * handled with retries, skipped or dead-lettered again (appended to the same topic, for a later
 * replay). Per key in dead-letter order, keys in parallel. The cursor moves with the low
 * watermark, so a replay is never repeated by the next one; a crash in between redelivers at
 * most what was in flight, which `processOnce` (or any effect keyed by the event id, which the
 * dead letter keeps) absorbs.
 *
 * @throws ConfigError for invalid options or a topic that is not this group's dead-letter topic.
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayReport> {
  const o = parseOptions(replayOptionsSchema, options, 'replayDeadLetters');
  const { group, deadLetterTopic, kafka } = o;
  if (parseDeadLetterTopic(deadLetterTopic)?.group !== group)
    throw new ConfigError([
      `replayDeadLetters deadLetterTopic: must be a dead-letter topic of group ${group} (<topic>.dlq.${group}), got ${JSON.stringify(deadLetterTopic)}`,
    ]);
  const cursorGroup = replayCursorGroup(group);
  // Blocks recorded by the live group are what this replay resolves: start with none, and
  // hold back a key's later dead letters only if one fails again now.
  const core = createConsumerCore(
    { ...o, blockedKeys: memoryBlockedKeyStore(), replayedFrom: deadLetterTopic },
    { replay: deadLetterTopic },
  );
  const { logger } = core;
  return kafka.withAdmin(async (admin) => {
    if (o.fromStart) {
      const bounds = await admin.partitionBounds(deadLetterTopic);
      await admin.setGroupOffsets(
        cursorGroup,
        bounds.map((b) => ({ topic: deadLetterTopic, partition: b.partition, offset: b.low })),
      );
    }
    const before = await deadLetterPartitions(admin, group, deadLetterTopic);
    const report: ReplayReport = { group, deadLetterTopic, cursorGroup, before, records: [], complete: true };
    const ranges = before
      .filter((p) => p.pending > 0)
      .map((p) => ({
        topic: deadLetterTopic,
        partition: p.partition,
        from: p.high - BigInt(p.pending),
        to: p.high,
      }));
    if (ranges.length === 0) return report;
    const ends = new Map(ranges.map((r) => [r.partition, r.to]));

    const failures = new Map<string, { reason: DeadLetterReason; error: string }>();
    core.events.on('dead-lettered', (d) =>
      failures.set(`${d.topic}/${d.partition}/${d.offset}`, {
        reason: d.reason as DeadLetterReason,
        error: describeError(d.error),
      }),
    );

    const reader = kafka.reader();
    const stopReading = new AbortController();
    const batches = reader
      .read({ ranges, signal: stopReading.signal, timeoutMs: o.timeoutMs, maxWaitMs: o.maxWaitMs })
      [Symbol.asyncIterator]();
    let exhausted = false;
    let readError: unknown;
    const source: BatchSource = {
      async poll(signal) {
        if (exhausted) {
          await new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => resolve(), { once: true }),
          );
          return [];
        }
        try {
          const next = await batches.next();
          if (!next.done) return [next.value as RecordBatch];
        } catch (e) {
          readError = e;
        }
        exhausted = true;
        return [];
      },
      // Group-less: the cursor group never has members, so its offsets can be set directly.
      commit: (offsets) => admin.setGroupOffsets(cursorGroup, offsets),
      pause: () => {},
    };
    const loop = createBatchLoop({
      source,
      scheduler: core.scheduler,
      inFlight: o.inFlight,
      ordering: o.ordering,
      drainTimeoutMs: o.drainTimeoutMs,
      logger,
      // The read is bounded already; the loop must not commit past the end either.
      stopAt: (tp) => ends.get(tp.partition),
      async process(record, signals) {
        const entry: ReplayedRecord = {
          partition: record.partition,
          offset: record.offset,
          outcome: 'not-a-dead-letter',
        };
        report.records.push(entry);
        const source = originalRecord(record);
        const owner = headerText(record.headers, deadLetterHeaders.group);
        if (!source || (owner !== undefined && owner !== group)) {
          logger.warn(
            { partition: record.partition, offset: record.offset },
            'not a dead letter; passed over',
          );
          return 'skipped';
        }
        entry.original = {
          topic: source.topic,
          partition: source.partition,
          offset: source.offset,
          key: source.key?.toString() ?? null,
        };
        entry.eventId = headerText(source.headers, envelopeHeaders.eventId);
        entry.eventType = headerText(source.headers, envelopeHeaders.eventType);
        const outcome = await core.process(source, signals);
        entry.outcome = outcome;
        const failure = failures.get(`${source.topic}/${source.partition}/${source.offset}`);
        if (outcome === 'dead-lettered' && failure) Object.assign(entry, failure);
        return outcome;
      },
    });
    loop.assign(ranges.map((r) => ({ topic: deadLetterTopic, partition: r.partition, offset: r.from })));
    await core.deadLetters.connect();
    try {
      loop.start();
      await waitFor(() => exhausted && core.scheduler.size() === 0, {
        timeoutMs: o.timeoutMs,
        intervalMs: 20,
        what: `the replay of ${deadLetterTopic} to reach the end`,
      }).catch((e: unknown) => logger.error({ err: e }, 'replay stopped before the end'));
      if (readError !== undefined)
        logger.error({ err: readError }, 'replay could not read every dead letter');
    } finally {
      stopReading.abort();
      // What still runs drains (bounded) and the cursor moves to what finished.
      await loop.revoke(loop.owned());
      await loop.stop();
      await Promise.allSettled([reader.close(), core.deadLetters.disconnect()]);
    }
    const after = await deadLetterPartitions(admin, group, deadLetterTopic);
    report.complete = after.every((p) => {
      const end = ends.get(p.partition) ?? 0n;
      return end <= p.low || (p.cursor !== null && p.cursor >= end);
    });
    report.records.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
    return report;
  });
}

function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  return `${e.constructor.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${e.message}`;
}

import type { Admin, Kafka } from 'kafkajs';
import { type Logger, pino } from 'pino';
import { Registry } from 'prom-client';
import { envelopeHeaders } from '../../connect/outbox-connector.ts';
import { ConfigError } from '../../core/errors.ts';
import type { SchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { createEventDecoder, type EventDecoder, header } from '../decoder.ts';
import { memoryBlockedKeyStore } from './blocked-keys.ts';
import {
  createDeadLetterQueue,
  type DeadLetterOptions,
  type DeadLetterReason,
  deadLetterHeaders,
} from './dead-letter.ts';
import { originalRecord, parseDeadLetterTopic } from './dead-letter-source.ts';
import { defaultDeadLetterRetentionMs } from './dead-letter-topic.ts';
import { commitGroupOffsets } from './group-offsets.ts';
import type { Handlers } from './handler.ts';
import { createInstrumentation } from './instrumentation.ts';
import { createKeyScheduler } from './key-scheduler.ts';
import { createConsumerMetrics } from './metrics.ts';
import { createRecordProcessor, type OrderingOnFailure, type RecordProcessor } from './process-record.ts';
import { defaultRetryPolicy, type RetryPolicy } from './retry.ts';
import { createRunner } from './runner.ts';

/**
 * The consumer group that holds a group's replay cursors: its committed offset on each of the
 * group's dead-letter topics is the next dead letter to replay. `npm run lag` shows its lag as
 * the dead letters still to replay.
 */
export function replayCursorGroup(group: string): string {
  return `${group}.dlq-replay`;
}

/** One partition of a dead-letter topic, with the group's replay cursor on it. */
export interface DeadLetterPartition {
  partition: number;
  /** First offset the topic still holds (retention removes older dead letters). */
  low: string;
  /** Log end: the offset the next dead letter will get. */
  high: string;
  /** The next dead letter to replay; null when this partition was never replayed. */
  cursor: string | null;
  /** Dead letters from the cursor (or the first one held) to the end: not yet replayed. */
  pending: number;
}

/** Reads each partition's offsets and the group's replay cursor on a dead-letter topic. */
export async function deadLetterPartitions(
  admin: Admin,
  group: string,
  deadLetterTopic: string,
): Promise<DeadLetterPartition[]> {
  const [ends, cursors] = await Promise.all([
    admin.fetchTopicOffsets(deadLetterTopic),
    admin.fetchOffsets({ groupId: replayCursorGroup(group), topics: [deadLetterTopic] }),
  ]);
  const committed = new Map(
    (cursors.find((c) => c.topic === deadLetterTopic)?.partitions ?? []).map((p) => [p.partition, p.offset]),
  );
  return ends
    .map((e) => {
      const c = committed.get(e.partition);
      const cursor = c === undefined || BigInt(c) < 0n ? null : c;
      const from = cursor === null || BigInt(cursor) < BigInt(e.low) ? BigInt(e.low) : BigInt(cursor);
      const pending = BigInt(e.high) > from ? Number(BigInt(e.high) - from) : 0;
      return { partition: e.partition, low: e.low, high: e.high, cursor, pending };
    })
    .sort((a, b) => a.partition - b.partition);
}

/** Options of {@link replayDeadLetters}: the group's own handlers and settings. */
export interface ReplayOptions {
  /** The group whose dead letters these are; handlers see it as `ctx.group` (idempotency keys). */
  group: string;
  /** `<topic>.dlq.<group>`. */
  deadLetterTopic: string;
  handlers: Handlers;
  kafka: Kafka;
  registry?: Pick<SchemaRegistry, 'schemaById'>;
  /** Decoder override; default from `registry`. */
  decoder?: EventDecoder;
  logger?: Logger;
  retry?: Partial<RetryPolicy>;
  /** The group's own setting: with `block-key`, a key that fails again holds back its later dead letters. */
  orderingOnFailure?: OrderingOnFailure;
  /** The group's own dead-letter settings (retention). */
  deadLetter?: DeadLetterOptions;
  /** Events handled at once (default 16). Same key: always one, in dead-letter order. */
  inFlight?: number;
  /** Start over from the first dead letter the topic holds (default: from the cursor). */
  fromStart?: boolean;
  /** Give up (committing what finished) after this long (default 10 minutes). */
  timeoutMs?: number;
}

/** What became of one replayed dead letter. */
export interface ReplayedRecord {
  /** Where the dead letter is. */
  partition: number;
  offset: string;
  /** Where the event was when it failed; undefined for a record that is not a dead letter. */
  original?: { topic: string; partition: number; offset: string; key: string | null };
  eventId?: string;
  eventType?: string;
  /**
   * `processed`/`skipped`: handled (a handler's skip, or no handler for its type any more);
   * `dead-lettered`: failed again, appended to the same dead-letter topic (`reason`, `error`);
   * `abandoned`: the replay stopped first, it stays pending; `not-a-dead-letter`: no `dlq-*`
   * headers, or another group's, passed over.
   */
  outcome: 'processed' | 'skipped' | 'dead-lettered' | 'abandoned' | 'not-a-dead-letter';
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

const groupPattern = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * Replays a group's dead letters through the group's own handlers — never through the source
 * topic, which every other group reads too. A consumer of group {@link replayCursorGroup}
 * reads `<topic>.dlq.<group>` from its cursor up to the end it saw when it started; each dead
 * letter is turned back into the record it was made from (`originalRecord`) and processed as
 * the live consumer would: decoded, handled with retries, skipped or dead-lettered again
 * (appended to the same topic, for a later replay). Per key in dead-letter order, keys in
 * parallel. The cursor commits the low watermark, so a replay is never repeated by the next
 * one; a crash in between redelivers at most what was in flight, which `processOnce` (or any
 * idempotent effect keyed by the event id, which the dead letter keeps) absorbs.
 *
 * @throws ConfigError for a topic that is not this group's dead-letter topic.
 */
export async function replayDeadLetters(o: ReplayOptions): Promise<ReplayReport> {
  validate(o);
  const { group, deadLetterTopic, kafka } = o;
  const cursorGroup = replayCursorGroup(group);
  const logger = (o.logger ?? pino({ level: 'info' })).child({ group, replay: deadLetterTopic });
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (o.fromStart) await rewind(admin, o);
    const before = await deadLetterPartitions(admin, group, deadLetterTopic);
    const report: ReplayReport = { group, deadLetterTopic, cursorGroup, before, records: [], complete: true };
    const ends = new Map(before.map((p) => [p.partition, BigInt(p.high)]));
    if (before.every((p) => p.pending === 0)) return report;

    const events = createInstrumentation();
    const deadLetters = createDeadLetterQueue({
      kafka,
      group,
      logger,
      retentionMs: o.deadLetter?.retentionMs ?? defaultDeadLetterRetentionMs,
    });
    const retry = { ...defaultRetryPolicy, ...o.retry };
    const processor = createRecordProcessor({
      group,
      handlers: o.handlers,
      decoder: o.decoder ?? createEventDecoder(o.registry!),
      retry,
      deadLetters,
      metrics: createConsumerMetrics(new Registry()),
      events,
      logger,
      orderingOnFailure: o.orderingOnFailure ?? 'continue',
      // Blocks recorded by the live group are what this replay resolves: start with none, and
      // hold back a key's later dead letters only if one fails again now.
      blockedKeys: memoryBlockedKeyStore(),
    });
    const failures = new Map<string, { reason: DeadLetterReason; error: string }>();
    events.on('dead-lettered', (d) =>
      failures.set(`${d.topic}/${d.partition}/${d.offset}`, {
        reason: d.reason as DeadLetterReason,
        error: describeError(d.error),
      }),
    );
    const replaying: RecordProcessor = {
      reloadBlocked: processor.reloadBlocked,
      refreshBlocked: processor.refreshBlocked,
      async process(record, signals) {
        const source = originalRecord(record);
        const entry: ReplayedRecord = {
          partition: record.partition,
          offset: record.message.offset,
          outcome: 'not-a-dead-letter',
        };
        report.records.push(entry);
        const owner = header(record.message, deadLetterHeaders.group);
        if (!source || (owner !== undefined && owner !== group)) {
          logger.warn(
            { partition: record.partition, offset: record.message.offset },
            'not a dead letter; passed over',
          );
          return 'skipped';
        }
        entry.original = {
          topic: source.topic,
          partition: source.partition,
          offset: source.message.offset,
          key: source.message.key?.toString() ?? null,
        };
        entry.eventId = header(source.message, envelopeHeaders.eventId);
        entry.eventType = header(source.message, envelopeHeaders.eventType);
        const outcome = await processor.process(source, signals);
        entry.outcome = outcome;
        const failure = failures.get(`${source.topic}/${source.partition}/${source.message.offset}`);
        if (outcome === 'dead-lettered' && failure) Object.assign(entry, failure);
        return outcome;
      },
    };
    const runner = createRunner({
      group: cursorGroup,
      kafka,
      topics: [deadLetterTopic],
      fromBeginning: true,
      scheduler: createKeyScheduler({ limit: o.inFlight ?? 16 }),
      processor: replaying,
      metrics: createConsumerMetrics(new Registry()),
      events,
      logger,
      drainTimeoutMs: 15_000,
      startTimeoutMs: 60_000,
      tuning: {},
      stopAt: (_topic, partition) => ends.get(partition),
    });
    const caughtUp = async () => {
      const now = await deadLetterPartitions(admin, group, deadLetterTopic);
      return now.every((p) => {
        const end = ends.get(p.partition) ?? 0n;
        return end <= BigInt(p.low) || (p.cursor !== null && BigInt(p.cursor) >= end);
      });
    };
    await deadLetters.connect();
    try {
      await runner.start();
      await waitFor(caughtUp, {
        timeoutMs: o.timeoutMs ?? 600_000,
        intervalMs: 250,
        what: `the replay of ${deadLetterTopic} to reach the end`,
      }).catch((e: unknown) => logger.error({ err: e }, 'replay stopped before the end'));
    } finally {
      await runner.stop();
      await deadLetters.disconnect();
    }
    report.complete = await caughtUp();
    report.records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
    return report;
  } finally {
    await admin.disconnect();
  }
}

/** Moves the cursor back to the first dead letter the topic holds (no replay may be running). */
async function rewind(admin: Admin, { group, deadLetterTopic, kafka }: ReplayOptions): Promise<void> {
  const offsets = await admin.fetchTopicOffsets(deadLetterTopic);
  await commitGroupOffsets(
    kafka,
    replayCursorGroup(group),
    offsets.map((p) => ({ topic: deadLetterTopic, partition: p.partition, offset: p.low })),
  );
}

function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  return `${e.constructor.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${e.message}`;
}

function validate(o: ReplayOptions): void {
  const issues: string[] = [];
  if (typeof o.group !== 'string' || !groupPattern.test(o.group))
    issues.push(`group: must be letters, digits, ".", "_" or "-", got ${JSON.stringify(o.group)}`);
  const parsed = typeof o.deadLetterTopic === 'string' ? parseDeadLetterTopic(o.deadLetterTopic) : undefined;
  if (!parsed || parsed.group !== o.group)
    issues.push(
      `deadLetterTopic: must be a dead-letter topic of group ${o.group} (<topic>.dlq.${o.group}), got ${JSON.stringify(o.deadLetterTopic)}`,
    );
  if (typeof o.handlers !== 'object' || o.handlers === null || Object.keys(o.handlers).length === 0)
    issues.push('handlers: must be the group’s handlers (at least one)');
  if (o.decoder === undefined && typeof o.registry?.schemaById !== 'function')
    issues.push('registry: must be a schema registry client (or pass decoder)');
  if (o.inFlight !== undefined && !(Number.isInteger(o.inFlight) && o.inFlight >= 1))
    issues.push(`inFlight: must be an integer ≥ 1, got ${o.inFlight}`);
  const retentionMs = o.deadLetter?.retentionMs;
  if (
    retentionMs !== undefined &&
    retentionMs !== -1 &&
    !(Number.isSafeInteger(retentionMs) && retentionMs > 0)
  )
    issues.push(`deadLetter.retentionMs: must be milliseconds or -1 (forever), got ${retentionMs}`);
  if (issues.length > 0) throw new ConfigError(issues.map((i) => `replayDeadLetters ${i}`));
}
